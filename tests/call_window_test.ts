/**
 * The call window as a person sees it, under Xvfb with real peers: the
 * self-view in the corner (and the frames sent unchanged by it), the HUD,
 * the help card, the paused and waiting cards, snapshots, fullscreen under a
 * real window manager. Keys are sent with xdotool; screenshots are read
 * pixel by pixel.
 */

import { JpegDecoder } from "../ffi/mod.ts";
import { Frame } from "../ffi/mod.ts";
import { MAX_WINDOW_EDGE, pictureLayout, windowTitle } from "../src/view/call_window.ts";
import { HUD_INTRO_MS } from "../src/view/hud.ts";
import { selfViewRect } from "../src/view/self_view.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { Peer } from "./_peer.ts";
import { clipFrames, freePort, makeClip, run } from "./_tools.ts";
import { type Screenshot, Xvfb } from "./_x11.ts";

const W = 320, H = 240;

type Rgb = [number, number, number];
type Rect = { x: number; y: number; width: number; height: number };

/** Share of the pixels in `rect` for which `test` holds. */
function share(shot: Screenshot, rect: Rect, test: (p: Rgb) => boolean): number {
  let n = 0, all = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const o = (y * shot.width + x) * 3;
      all++;
      if (test([shot.rgb[o]!, shot.rgb[o + 1]!, shot.rgb[o + 2]!])) n++;
    }
  }
  return n / all;
}

const whole: Rect = { x: 0, y: 0, width: W, height: H };
const red = ([r, g, b]: Rgb) => r > 190 && g < 70 && b < 70;
const dark = ([r, g, b]: Rgb) => r + g + b < 180;
/** The placeholder card's background (BGR 38,34,32). */
const card = ([r, g, b]: Rgb) =>
  Math.abs(r - 32) < 8 && Math.abs(g - 34) < 8 && Math.abs(b - 38) < 8;

async function settle(ms = 600): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Files in `dir`, sorted. */
function filesIn(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Waits until `dir` holds `count` files (a snapshot is written asynchronously). */
async function waitForFiles(dir: string, count: number): Promise<string[]> {
  for (let i = 0; i < 100 && filesIn(dir).length < count; i++) await settle(50);
  return filesIn(dir);
}

/** Decodes a JPEG file into BGR pixels. */
function decode(
  bytes: Uint8Array<ArrayBuffer>,
): { width: number; height: number; bgr: Uint8Array } {
  using decoder = new JpegDecoder();
  using frame = new Frame();
  decoder.decodeSync(bytes, frame);
  return { width: frame.width, height: frame.height, bgr: frame.toBGR() };
}

/** A window's size, as the X server has it. */
async function windowSize(x: Xvfb, window: string): Promise<[number, number]> {
  const info = await run("xwininfo", ["-id", window], x.env());
  return [Number(/Width: (\d+)/.exec(info)![1]), Number(/Height: (\d+)/.exec(info)![1])];
}

/**
 * Alice sends the test pattern (or `aliceSource`), Bob a solid colour video;
 * each on a display of its own, as on two machines. Both use `--size`
 * W x H unless `sizes` says otherwise.
 */
async function call(
  x: Xvfb,
  y: Xvfb,
  options: { alice?: string[]; bob: string[]; aliceSource?: string; sizes?: [string, string] },
): Promise<{ a: Peer; b: Peer; aliceWindow: string; bobWindow: string }> {
  const port = freePort();
  const [aliceSize, bobSize] = options.sizes ?? [`${W}x${H}`, `${W}x${H}`];
  const a = new Peer(
    [
      "--listen",
      `127.0.0.1:${port}`,
      "--name",
      "Alice",
      "--source",
      options.aliceSource ?? "test",
      "--size",
      aliceSize,
    ].concat(options.alice ?? []),
    x.env(),
  );
  await a.waitFor("Waiting for the peer");
  const b = new Peer(
    ["--peer", `127.0.0.1:${port}`, "--name", "Bob", "--size", bobSize, ...options.bob],
    y.env(),
  );
  const aliceWindow = await x.waitForWindow(windowTitle("Bob", false));
  const bobWindow = await y.waitForWindow(windowTitle("Alice", false));
  await Promise.all([a.waitFor("In a call"), b.waitFor("In a call")]);
  await settle(1200);
  return { a, b, aliceWindow, bobWindow };
}

async function hangUp(x: Xvfb, window: string, a: Peer, b: Peer): Promise<void> {
  await x.key(window, "q");
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
}

Deno.test("self-view: your own video in the bottom-right corner, p hides it, the frames sent do not change", async () => {
  await using x = await Xvfb.start();
  await using y = await Xvfb.start();
  const dir = await Deno.makeTempDir();
  const clip = `${dir}/red.avi`;
  await makeClip(clip, W, H, 50, "red");
  const shots = await Deno.makeTempDir({ dir });
  // Bob re-encodes his red video (--quality): his encoder's output is what
  // would change if the self-view were drawn into the frames sent. With a
  // fixed quality and size (--no-adapt): the rate control changes the frames
  // sent for reasons of its own.
  const { a, b, aliceWindow, bobWindow } = await call(x, y, {
    alice: ["--snapshot-dir", shots],
    bob: ["--source", clip, "--quality", "70", "--no-adapt"],
  });
  try {
    const corner = selfViewRect({ width: W, height: H }, { width: W, height: H });
    const inner = {
      x: corner.x + 4,
      y: corner.y + 4,
      width: corner.width - 8,
      height: corner.height - 8,
    };
    const left = { x: 0, y: 60, width: corner.x - 10, height: H - 60 }; // clear of the HUD
    const on = await y.screenshot(bobWindow);
    assertEquals([on.width, on.height], [W, H]);
    assert(share(on, inner, red) > 0.9, `self-view not red: ${share(on, inner, red)}`);
    assert(share(on, left, red) < 0.01, "Alice's pattern has no red: the rest is her video");
    await x.key(aliceWindow, "s"); // a frame Bob sent with his self-view on
    await waitForFiles(shots, 1);

    await y.key(bobWindow, "p");
    await settle();
    const off = await y.screenshot(bobWindow);
    assert(share(off, inner, red) < 0.05, `self-view still shown: ${share(off, inner, red)}`);
    await x.key(aliceWindow, "s"); // and one with it off
    const files = await waitForFiles(shots, 2);
    assertEquals(files.length, 2);

    const [withSelfView, without] = files.map((f) => Deno.readFileSync(`${shots}/${f}`));
    assertEquals(withSelfView, without, "the frames sent are the same with and without self-view");
    // And they are Bob's red video alone: no picture-in-picture, no border.
    const picture = decode(withSelfView!);
    assertEquals([picture.width, picture.height], [W, H]);
    let worst = 0;
    for (let i = 0; i < picture.bgr.length; i += 3) {
      const [b0, g0, r0] = [picture.bgr[i]!, picture.bgr[i + 1]!, picture.bgr[i + 2]!];
      worst = Math.max(worst, Math.abs(r0 - 254) + g0 + b0);
    }
    assert(worst < 40, `Bob's frames hold more than his red video (worst pixel off by ${worst})`);
    await hangUp(x, aliceWindow, a, b);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("s saves the peer's last frame exactly as it was sent, never overwriting", async () => {
  await using x = await Xvfb.start();
  await using y = await Xvfb.start();
  const dir = await Deno.makeTempDir();
  const clip = `${dir}/clip.avi`;
  // A clip stored as JPEG at the frame size goes out as it is: its frames
  // are the bytes Bob sent.
  await makeClip(clip, W, H, 60);
  const frames = `${dir}/frames`;
  await Deno.mkdir(frames);
  const sent = await clipFrames(clip, frames);
  const shots = `${dir}/shots`;
  await Deno.mkdir(shots);
  const { a, b, aliceWindow } = await call(x, y, {
    alice: ["--snapshot-dir", shots],
    bob: ["--source", clip, "--no-adapt"], // sent as stored, never re-encoded smaller
  });
  await x.key(aliceWindow, "s");
  assertEquals((await waitForFiles(shots, 1)).length, 1, "exactly one file per press");
  await x.key(aliceWindow, "s");
  const files = await waitForFiles(shots, 2);
  assertEquals(files.length, 2, "the second press made a second file");
  for (const file of files) {
    assertMatch(file, /^peercam-Bob-\d{8}-\d{6}-\d{3}(-\d+)?\.jpg$/);
    const bytes = Deno.readFileSync(`${shots}/${file}`);
    assert(sent.has(bytes.join(",")), `${file} is not byte for byte a frame Bob sent`);
    const picture = decode(bytes);
    assertEquals([picture.width, picture.height], [W, H]);
  }
  await a.waitFor("Saved a snapshot to");
  await hangUp(x, aliceWindow, a, b);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("i toggles the HUD, ? the help card, v the peer's paused card; the waiting card comes first", async () => {
  await using x = await Xvfb.start();
  await using y = await Xvfb.start();
  const dir = await Deno.makeTempDir();
  const clip = `${dir}/red.avi`;
  await makeClip(clip, W, H, 50, "red");
  // Alice alone: the waiting card, with her own video in the corner.
  const port = freePort();
  const size = ["--size", `${W}x${H}`];
  const a = new Peer(
    ["--listen", `127.0.0.1:${port}`, "--name", "Alice", "--source", "test", ...size],
    x.env(),
  );
  const waiting = await x.waitForWindow(windowTitle(null, false));
  await a.waitFor("Waiting for the peer");
  await settle();
  const alone = await x.screenshot(waiting);
  const corner = selfViewRect({ width: W, height: H }, { width: W, height: H });
  const mid = { x: 0, y: 0, width: W, height: corner.y - 10 };
  assert(share(alone, mid, card) > 0.8, `no waiting card: ${share(alone, mid, card)}`);
  assert(share(alone, corner, card) < 0.2, "the self-view is on the card");

  const b = new Peer(
    ["--peer", `127.0.0.1:${port}`, "--name", "Bob", ...size, "--source", clip],
    y.env(),
  );
  const aliceWindow = await x.waitForWindow(windowTitle("Bob", false));
  const bobWindow = await y.waitForWindow(windowTitle("Alice", false));
  await settle(1200);
  // The HUD shows by itself for the first seconds: a dark box at top left
  // over Bob's red video.
  const hudArea = { x: 10, y: 10, width: 100, height: 20 };
  const withHud = await x.screenshot(aliceWindow);
  assert(share(withHud, hudArea, dark) > 0.5, `no HUD: ${share(withHud, hudArea, dark)}`);
  await x.key(aliceWindow, "i");
  await settle();
  const noHud = await x.screenshot(aliceWindow);
  assert(share(noHud, hudArea, red) > 0.95, `HUD still drawn: ${share(noHud, hudArea, red)}`);
  await x.key(aliceWindow, "i");
  await settle();
  assert(share(await x.screenshot(aliceWindow), hudArea, dark) > 0.5, "i brings the HUD back");

  // The help card lists the keys in the middle of the picture.
  const centre = { x: W / 2 - 40, y: H / 2 - 20, width: 80, height: 40 };
  assert(share(noHud, centre, red) > 0.95);
  await x.key(aliceWindow, "question");
  await settle();
  assert(share(await x.screenshot(aliceWindow), centre, dark) > 0.3, "no help card");
  await x.key(aliceWindow, "h");
  await settle();
  assert(share(await x.screenshot(aliceWindow), centre, red) > 0.95, "h hides the help card");

  // Bob pauses his video: Alice sees the paused card, not a frozen frame.
  await y.key(bobWindow, "v");
  await b.waitFor("You paused your video");
  await settle();
  const paused = await x.screenshot(aliceWindow);
  assert(share(paused, mid, card) > 0.6, `no paused card: ${share(paused, mid, card)}`);
  assert(share(paused, whole, red) < 0.02, "Bob's video is not shown while paused");
  await y.key(bobWindow, "v");
  await b.waitFor("You resumed your video");
  await settle();
  assert(share(await x.screenshot(aliceWindow), mid, red) > 0.6, "Bob's video is back");
  await hangUp(x, aliceWindow, a, b);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("f makes the window cover the screen under a window manager, and back", async () => {
  await using x = await Xvfb.start();
  await using y = await Xvfb.start();
  // A real window manager acts on Qt's fullscreen request (Xvfb alone has none).
  await using _wm = await x.windowManager();
  const { a, b, aliceWindow } = await call(x, y, { bob: ["--source", "test"] });
  const geometry = () => windowSize(x, aliceWindow);
  assertEquals(await geometry(), [W, H]);
  await x.key(aliceWindow, "f");
  await settle(1000);
  assertEquals(await geometry(), [1600, 900], "fullscreen covers the 1600x900 screen");
  await x.key(aliceWindow, "f");
  await settle(1000);
  assertEquals(await geometry(), [W, H], "and goes back");
  await hangUp(x, aliceWindow, a, b);
});

Deno.test({
  name: "pictureLayout() scales a smaller frame up into the shown size, aspect kept, centred",
  permissions: "none",
}, () => {
  const vga = { width: 640, height: 480 };
  assertEquals(pictureLayout(vga, { width: 320, height: 240 }), {
    shown: vga,
    rect: { x: 0, y: 0, width: 640, height: 480 },
  });
  assertEquals(pictureLayout(vga, { width: 480, height: 360 }).rect, {
    x: 0,
    y: 0,
    width: 640,
    height: 480,
  });
  // Wider: black above and below; taller: black left and right.
  assertEquals(pictureLayout(vga, { width: 320, height: 180 }), {
    shown: vga,
    rect: { x: 0, y: 60, width: 640, height: 360 },
  });
  assertEquals(pictureLayout(vga, { width: 240, height: 240 }).rect, {
    x: 80,
    y: 0,
    width: 480,
    height: 480,
  });
  // Odd leftovers: the rectangle stays inside and within a pixel of the middle.
  const odd = pictureLayout({ width: 641, height: 481 }, { width: 320, height: 180 }).rect!;
  assertEquals([odd.width, odd.x], [641, 0]);
  assert(odd.y + odd.height <= 481 && Math.abs(481 - odd.height - 2 * odd.y) <= 1);
});

Deno.test({
  name: "pictureLayout() shows a frame at the shown size as it is, and grows for a larger one",
  permissions: "none",
}, () => {
  const vga = { width: 640, height: 480 };
  assertEquals(pictureLayout(vga, vga), { shown: vga, rect: null });
  assertEquals(pictureLayout(vga, { width: 1280, height: 720 }), {
    shown: { width: 1280, height: 720 },
    rect: null,
  });
  // No bigger than MAX_WINDOW_EDGE: a larger frame is shown scaled down by the window.
  const big = pictureLayout(vga, { width: 1920, height: 1080 });
  assertEquals(big, { shown: { width: MAX_WINDOW_EDGE, height: 720 }, rect: null });
  assertEquals(pictureLayout(big.shown, { width: 1920, height: 1080 }), big);
  // Larger one way only: the window takes the peer's size, as before.
  assertEquals(pictureLayout(vga, { width: 800, height: 450 }).shown, { width: 800, height: 450 });
  // Fullscreen: the window does not grow.
  assertEquals(pictureLayout(vga, { width: 1280, height: 720 }, { grow: false }), {
    shown: vga,
    rect: null,
  });
  assertEquals(pictureLayout(vga, { width: 320, height: 240 }, { grow: false }).rect, {
    x: 0,
    y: 0,
    width: 640,
    height: 480,
  });
});

Deno.test({
  name: "pictureLayout() keeps the window's size while a 720p peer degrades and recovers",
  permissions: "none",
}, () => {
  let shown = { width: 640, height: 480 }; // this side's --size
  const sizes = [[1280, 720], [960, 540], [640, 360], [1280, 720]] as const;
  const seen = sizes.map(([width, height]) => {
    const layout = pictureLayout(shown, { width, height });
    shown = layout.shown;
    return layout;
  });
  const hd = { width: 1280, height: 720 };
  assertEquals(seen, [
    { shown: hd, rect: null },
    { shown: hd, rect: { x: 0, y: 0, ...hd } },
    { shown: hd, rect: { x: 0, y: 0, ...hd } },
    { shown: hd, rect: null },
  ]);
});

/** 8x8 squares in the corners of a `width` x `height` area. */
const corners = (width: number, height: number): Rect[] => [
  { x: 0, y: 0, width: 8, height: 8 },
  { x: width - 8, y: 0, width: 8, height: 8 },
  { x: 0, y: height - 8, width: 8, height: 8 },
  { x: width - 8, y: height - 8, width: 8, height: 8 },
];

Deno.test("a peer's smaller frames fill the window scaled up; the window keeps its size and the HUD shows", async () => {
  await using x = await Xvfb.start();
  await using y = await Xvfb.start();
  const dir = await Deno.makeTempDir();
  try {
    // Bob sends 320x240 red; Alice's window is opened at her own 640x480.
    // Alice sends 640x480 red: Bob's 320x240 window grows to it.
    const small = `${dir}/small.avi`, large = `${dir}/large.avi`;
    await makeClip(small, 320, 240, 50, "red");
    await makeClip(large, 640, 480, 50, "red");
    const { a, b, aliceWindow, bobWindow } = await call(x, y, {
      aliceSource: large,
      // Fixed sizes: the rate control would lower them on a busy machine.
      alice: ["--no-adapt"],
      bob: ["--source", small, "--no-adapt"],
      sizes: ["640x480", "320x240"],
    });
    assertEquals(await windowSize(x, aliceWindow), [640, 480], "Alice's window keeps her --size");
    assertEquals(await windowSize(y, bobWindow), [640, 480], "Bob's window grew to Alice's frames");
    // Wait past the HUD's first seconds: then it shows only while degraded.
    await settle(HUD_INTRO_MS + 500);
    const shot = await x.screenshot(aliceWindow);
    assertEquals([shot.width, shot.height], [640, 480]);
    // Red in the middle and in every corner: scaled to the whole window, not
    // drawn at its own size in the top-left corner.
    for (const rect of [{ x: 300, y: 220, width: 40, height: 40 }, ...corners(640, 480)]) {
      assert(share(shot, rect, red) > 0.95, `not red at ${JSON.stringify(rect)}`);
    }
    assert(share(shot, { x: 0, y: 0, width: 640, height: 480 }, red) > 0.5);
    // The HUD shows by itself (the frames are smaller) at the window's scale:
    // its box starts 10 px from the corner (text 16 px high at 480 px), not
    // 14 (a 240-px frame's 7 px, scaled up twice with the frame).
    const hudCorner = { x: 10, y: 10, width: 3, height: 3 };
    assert(share(shot, hudCorner, dark) > 0.8, `no HUD at 10,10: ${share(shot, hudCorner, dark)}`);
    // Bob gets frames at his window's size: no HUD after the first seconds.
    const bobShot = await y.screenshot(bobWindow);
    assert(share(bobShot, hudCorner, red) > 0.95, "Bob's HUD shows though nothing is degraded");
    assert(share(bobShot, { x: 0, y: 0, width: 640, height: 480 }, red) > 0.8);
    await hangUp(x, aliceWindow, a, b);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a peer's smaller frames of another aspect are letterboxed, centred, in the window's size", async () => {
  await using x = await Xvfb.start();
  await using y = await Xvfb.start();
  const dir = await Deno.makeTempDir();
  try {
    // Red, with a blue band along the top (rows 0 to 17): squeezed or
    // stretched, the band would not be where the aspect puts it.
    const wide = `${dir}/wide.avi`;
    const filter = "color=c=red:s=320x180:r=25,drawbox=x=0:y=0:w=iw:h=18:color=blue:t=fill";
    await run("ffmpeg", [
      ...["-v", "error", "-y", "-f", "lavfi", "-i", filter],
      ...["-frames:v", "50", "-c:v", "mjpeg", "-q:v", "3", wide],
    ]);
    const { a, b, aliceWindow } = await call(x, y, {
      alice: ["--no-adapt"],
      bob: ["--source", wide, "--no-adapt"],
      sizes: ["640x480", "320x180"],
    });
    assertEquals(await windowSize(x, aliceWindow), [640, 480]);
    const shot = await x.screenshot(aliceWindow);
    // 320x180 scaled twice: rows 60 to 419, the band in rows 60 to 95; the rest black.
    const blue = ([r, g, bl]: Rgb) => bl > 190 && r < 70 && g < 70;
    const band = [0, 300, 632].map((x) => ({ x, y: 66, width: 8, height: 22 }));
    for (const rect of band) {
      assert(share(shot, rect, blue) > 0.95, `no blue band at ${JSON.stringify(rect)}`);
    }
    const below = { x: 300, y: 104, width: 40, height: 8 };
    const bottomCorners = corners(640, 420).slice(2); // the band is in the top ones
    for (const rect of [below, { x: 300, y: 220, width: 40, height: 40 }, ...bottomCorners]) {
      assert(share(shot, rect, red) > 0.95, `not red at ${JSON.stringify(rect)}`);
    }
    // Bars clear of the HUD (top left) and the self-view (bottom right).
    const black = ([r, g, bl]: Rgb) => r + g + bl < 40;
    const topBar = { x: 520, y: 0, width: 120, height: 58 };
    const bottomBar = { x: 0, y: 422, width: 440, height: 58 };
    assert(share(shot, topBar, black) > 0.98, `top bar not black: ${share(shot, topBar, black)}`);
    assert(share(shot, bottomBar, black) > 0.98, `bottom bar: ${share(shot, bottomBar, black)}`);
    await hangUp(x, aliceWindow, a, b);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
