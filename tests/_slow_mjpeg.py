"""A slow MJPEG client: reads one part of /stream per second.

Usage: python3 _slow_mjpeg.py PORT PARTS

Its receive buffer is set small before it connects (a small device or a
slow link): with the default, Linux grows the buffers on loopback to
megabytes, which would hold dozens of frames between any server and this
reader. Prints the X-Sequence of each part read, one per line.
"""

import socket
import sys
import time

port, parts = int(sys.argv[1]), int(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
sock.connect(("127.0.0.1", port))
# HTTP/1.0: the body comes as it is, without chunked encoding (as from mjpg-streamer).
sock.sendall(b"GET /stream HTTP/1.0\r\nHost: x\r\n\r\n")
buf = b""


def read_until(marker):
    global buf
    while marker not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("the stream ended")
        buf += chunk
    head, buf = buf.split(marker, 1)
    return head


def read_exactly(n):
    global buf
    while len(buf) < n:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("the stream ended")
        buf += chunk
    data, buf = buf[:n], buf[n:]
    return data


read_until(b"\r\n\r\n")  # the response head
time.sleep(1.5)  # the buffers fill up
for _ in range(parts):
    headers = dict(
        line.split(": ", 1) for line in read_until(b"\r\n\r\n").decode().split("\r\n")[1:]
    )
    read_exactly(int(headers["Content-Length"]) + 2)
    print(headers["X-Sequence"], flush=True)
    time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 1)
sock.close()
