# Test helper: the one part of a window manager that fullscreen needs. Qt asks
# for fullscreen with a _NET_WM_STATE client message to the root window and
# leaves the resizing to the window manager, which Xvfb does not have. This
# listens for those messages and, as a window manager would, gives the window
# the whole screen (and back its old geometry when fullscreen ends). Uses
# libX11 via ctypes; prints "ready" once listening; runs until killed.
# Usage: DISPLAY=:N python3 tests/_wm_fullscreen.py
import ctypes, sys

x = ctypes.CDLL("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XDefaultRootWindow.restype = ctypes.c_ulong
x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
x.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
x.XMoveResizeWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                ctypes.c_uint, ctypes.c_uint]
x.XGetGeometry.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_void_p] * 7
x.XChangeProperty.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                              ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
x.XFlush.argtypes = [ctypes.c_void_p]


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("l", ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xclient", XClientMessageEvent),
                ("pad", ctypes.c_long * 24)]


CLIENT_MESSAGE = 33
STRUCTURE_NOTIFY_MASK = 1 << 17  # Qt sends the message with this mask
XA_ATOM = 4
PROP_MODE_REPLACE = 0
REMOVE, ADD, TOGGLE = 0, 1, 2

d = x.XOpenDisplay(None)
if not d:
    sys.exit("cannot open display")
root = x.XDefaultRootWindow(d)
width, height = x.XDisplayWidth(d, 0), x.XDisplayHeight(d, 0)
net_wm_state = x.XInternAtom(d, b"_NET_WM_STATE", 0)
fullscreen = x.XInternAtom(d, b"_NET_WM_STATE_FULLSCREEN", 0)
x.XSelectInput(d, root, STRUCTURE_NOTIFY_MASK)
x.XFlush(d)
print("ready", flush=True)

saved = {}  # window -> its geometry before fullscreen
ev = XEvent()
while True:
    x.XNextEvent(d, ctypes.byref(ev))
    if ev.type != CLIENT_MESSAGE or ev.xclient.message_type != net_wm_state:
        continue
    if fullscreen not in (ev.xclient.l[1], ev.xclient.l[2]):
        continue
    win = ev.xclient.window
    action = ev.xclient.l[0]
    on = action == ADD or (action == TOGGLE and win not in saved)
    if on and win not in saved:
        g = [ctypes.c_ulong(), ctypes.c_int(), ctypes.c_int()] + [ctypes.c_uint() for _ in range(4)]
        x.XGetGeometry(d, win, *[ctypes.byref(v) for v in g])
        saved[win] = (g[1].value, g[2].value, g[3].value, g[4].value)
        state = (ctypes.c_ulong * 1)(fullscreen)
        x.XChangeProperty(d, win, net_wm_state, XA_ATOM, 32, PROP_MODE_REPLACE, state, 1)
        x.XMoveResizeWindow(d, win, 0, 0, width, height)
    elif not on and win in saved:
        gx, gy, gw, gh = saved.pop(win)
        x.XChangeProperty(d, win, net_wm_state, XA_ATOM, 32, PROP_MODE_REPLACE, None, 0)
        x.XMoveResizeWindow(d, win, gx, gy, gw, gh)
    x.XFlush(d)
