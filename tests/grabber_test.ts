import { Frame, JpegDecoder, JpegEncoder, resizeFrame } from "../ffi/mod.ts";
import { CallError } from "../src/errors.ts";
import { jpegSize } from "../src/record/jpeg_size.ts";
import { AS_STORED } from "../src/send/frame_setting.ts";
import {
  Grabber,
  type GrabberOptions,
  type GrabResult,
  type GrabSetting,
} from "../src/send/grabber.ts";
import { parseSource } from "../src/source.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { clipFrames, makeClip, psnr } from "./_tools.ts";
import { quantizationTables } from "./_bytes.ts";

function options(source: string, extra: Partial<GrabberOptions> = {}): GrabberOptions {
  return {
    source: parseSource(source) as GrabberOptions["source"],
    width: 320,
    height: 240,
    fps: 0,
    quality: 80,
    passthrough: false,
    ...extra,
  };
}

// Decodes grabbed JPEG bytes and returns the image's size.
function size(jpeg: Uint8Array<ArrayBuffer>, length: number): [number, number] {
  using dec = new JpegDecoder();
  using frame = new Frame();
  dec.decodeSync(jpeg, frame, length);
  return [frame.width, frame.height];
}

type Made = Extract<GrabResult, { kind: "frame" }>;

function frame(result: GrabResult): Made {
  if (result.kind !== "frame") throw new Error(`expected a frame, got ${result.kind}`);
  return result;
}

// The tables an encoder writes at `quality`.
function tablesAt(quality: number): string {
  using enc = new JpegEncoder();
  using pixels = Frame.fromBGR(new Uint8Array(16 * 16 * 3).fill(128), 16, 16);
  const out = new Uint8Array(64 * 1024);
  const result = enc.encodeSync(pixels, quality, out);
  assert(result.ok);
  return quantizationTables(out.subarray(0, result.length));
}

// A frame's luma (the JPEG encoder halves chroma, which a small frame
// shows most: compared in luma, a frame is measured by its detail).
function luma(frame: Frame): Uint8Array {
  const bgr = frame.toBGR();
  const y = new Uint8Array(bgr.length / 3);
  for (let i = 0; i < y.length; i++) {
    y[i] = Math.round(0.114 * bgr[3 * i]! + 0.587 * bgr[3 * i + 1]! + 0.299 * bgr[3 * i + 2]!);
  }
  return y;
}

// Grabs a frame at `want` and checks that the bytes are a JPEG of the size
// the result reports, and the result the size and quality asked for.
function grabAt(
  grabber: Grabber,
  out: Uint8Array<ArrayBuffer>,
  want: GrabSetting,
  quality = want.quality,
): { made: Made; bytes: Uint8Array } {
  const made = frame(grabber.grab(out, want));
  const bytes = out.slice(0, made.length);
  assertEquals([made.width, made.height, made.quality], [want.width, want.height, quality]);
  assertEquals(jpegSize(bytes), [want.width, want.height], "the SOF says what the result says");
  assertEquals(size(out, made.length), [want.width, want.height], "and it decodes so");
  return { made, bytes };
}

Deno.test("Grabber makes JPEG from the test pattern, and keeps a frame that did not fit", async () => {
  using grabber = await Grabber.open(options("test"));
  assertEquals(grabber.mode, "encode");
  const before = Date.now();
  const small = grabber.grab(new Uint8Array(100));
  assert(small.kind === "space" && small.needed > 100, JSON.stringify(small));
  const out = new Uint8Array(small.needed);
  const got = frame(grabber.grab(out));
  assertEquals(got.length, small.needed, "the same frame, now that it fits");
  assert(got.timestamp >= before - 1 && got.timestamp <= Date.now() + 1, "capture time");
  assertEquals(await size(out, got.length), [320, 240]);
});

Deno.test("Grabber passes an MJPEG file through or re-encodes it, ends, and rewinds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 3);
    using pass = await Grabber.open(options(clip, { passthrough: true }));
    using recode = await Grabber.open(options(clip, { quality: 20 }));
    assertEquals([pass.mode, recode.mode], ["passthrough", "transcode"]);
    const a = new Uint8Array(1 << 20), b = new Uint8Array(1 << 20);
    for (let i = 0; i < 3; i++) {
      const [p, r] = [frame(pass.grab(a)), frame(recode.grab(b))];
      assert(r.length < p.length, "quality 20 is smaller than the stored frame");
      assertEquals(await size(b, r.length), [320, 240]);
    }
    assertEquals(pass.grab(a).kind, "end");
    pass.rewind();
    frame(pass.grab(a));
    // A stored frame that does not fit comes again too.
    const small = pass.grab(new Uint8Array(16));
    assert(small.kind === "space");
    assertEquals(frame(pass.grab(a)).length, small.needed);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Grabber.open() fails with a CallError that says what to do", async () => {
  await assertRejects(
    () => Grabber.open(options("/no/such/clip.avi")),
    CallError,
    'Cannot open file "/no/such/clip.avi": no such file',
  );
});

Deno.test("Grabber.grab() makes the test pattern at the size and quality wanted", async () => {
  using grabber = await Grabber.open(options("test", { width: 640, height: 480 }));
  const out = new Uint8Array(1 << 20);
  const full = grabAt(grabber, out, { quality: 80, width: 640, height: 480 });
  const small = grabAt(grabber, out, { quality: 40, width: 320, height: 240 });
  assert(small.bytes.length < full.bytes.length / 2, "320x240 at 40 is much smaller");
  // The quality is the one asked for, not the call's: its tables say so.
  assertEquals(quantizationTables(small.bytes), tablesAt(40));
  assertEquals(quantizationTables(full.bytes), tablesAt(80));
  const sameSize = grabAt(grabber, out, { quality: 80, width: 320, height: 240 });
  assertEquals(quantizationTables(sameSize.bytes), tablesAt(80));
  assert(small.bytes.length < sameSize.bytes.length, "a lower quality at the same size is smaller");
  // With no setting: the call's own size and quality.
  const plain = frame(grabber.grab(out));
  assertEquals([plain.width, plain.height, plain.quality], [640, 480, 80]);
  assertEquals(jpegSize(out.subarray(0, plain.length)), [640, 480]);
});

Deno.test("Grabber.grab() keeps a scaled frame that did not fit, for the same or another setting", async () => {
  using grabber = await Grabber.open(options("test", { width: 640, height: 480 }));
  const out = new Uint8Array(1 << 20);
  const want = { quality: 50, width: 200, height: 150 };
  for (const then of [want, { quality: 60, width: 320, height: 240 }]) {
    const captured = Date.now();
    const space = grabber.grab(new Uint8Array(64), want);
    assert(space.kind === "space" && space.needed > 64, JSON.stringify(space));
    await new Promise((resolve) => setTimeout(resolve, 30));
    // The frame captured then, not a new one, made at the new call's setting.
    const { made } = grabAt(grabber, out, then);
    assert(made.timestamp <= captured + 10, `captured ${made.timestamp - captured} ms late`);
    if (then === want) assertEquals(made.length, space.needed, "the same frame now fits");
  }
  // And then a new frame.
  const captured = Date.now();
  assert(grabAt(grabber, out, want).made.timestamp >= captured - 1);
});

Deno.test("Grabber.grab() clamps a wanted size and quality it cannot make", async () => {
  using grabber = await Grabber.open(options("test", { width: 320, height: 240 }));
  const out = new Uint8Array(1 << 20);
  const cases: Array<[GrabSetting, [number, number, number]]> = [
    [{ quality: 0, width: 1, height: 100000 }, [16, 240, 1]],
    [{ quality: 500, width: -20, height: 0 }, [16, 16, 100]],
    [{ quality: NaN, width: NaN, height: Infinity }, [320, 240, 80]],
    [{ quality: 39.6, width: 100.4, height: 75.5 }, [100, 76, 40]],
  ];
  for (const [want, [width, height, quality]] of cases) {
    const made = frame(grabber.grab(out, want));
    assertEquals([made.width, made.height, made.quality], [width, height, quality]);
    assertEquals(jpegSize(out.subarray(0, made.length)), [width, height]);
  }
});

Deno.test("Grabber.grab() scales a transcoded MJPEG file to the size wanted, keeping the picture", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 640, 480, 8);
    await Deno.mkdir(`${dir}/frames`);
    await clipFrames(clip, `${dir}/frames`); // 0001.jpg, 0002.jpg, ...
    using grabber = await Grabber.open(options(clip, { width: 640, height: 480, quality: 70 }));
    assertEquals(grabber.mode, "transcode");
    using dec = new JpegDecoder();
    using got = new Frame(), stored = new Frame(), reference = new Frame();
    const out = new Uint8Array(1 << 20);
    // Full size (in the DCT domain), exactly half (decoded at 1/2), a size
    // between (decoded whole, then resized), a quarter (decoded at 1/4), one
    // of another shape, and full size again.
    const sizes = [[640, 480], [320, 240], [480, 360], [160, 120], [200, 100], [640, 480]] as const;
    const lengths = [];
    for (const [i, [width, height]] of sizes.entries()) {
      const { made } = grabAt(grabber, out, { quality: 90, width, height });
      lengths.push(made.length);
      // The stored frame, scaled by area averaging: the same picture, with
      // its detail (an image decoded too small and enlarged loses it, one
      // shifted or of another frame differs: each under 30 dB here).
      dec.decodeSync(out, got, made.length);
      dec.decodeSync(
        Deno.readFileSync(`${dir}/frames/${String(i + 1).padStart(4, "0")}.jpg`),
        stored,
      );
      resizeFrame(stored, reference, width, height);
      const match = psnr(luma(got), luma(reference));
      assert(match > 35, `${width}x${height}: luma PSNR ${match.toFixed(1)} dB`);
    }
    assert(lengths[1]! < lengths[0]! && lengths[3]! < lengths[1]!, lengths.join(" "));
    // A scaled frame that does not fit comes again.
    const want = { quality: 50, width: 480, height: 360 };
    const space = grabber.grab(new Uint8Array(32), want);
    assert(space.kind === "space");
    assertEquals(grabAt(grabber, out, want).made.length, space.needed);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Grabber.grab() sends stored frames at full size and the ceiling, else re-encodes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 640, 480, 12);
    await Deno.mkdir(`${dir}/frames`);
    const stored = await clipFrames(clip, `${dir}/frames`);
    using grabber = await Grabber.open(
      options(clip, { width: 640, height: 480, quality: 80, passthrough: true }),
    );
    assertEquals(grabber.mode, "passthrough");
    const out = new Uint8Array(1 << 20);
    const full = { width: 640, height: 480 };
    const isStored = (bytes: Uint8Array) => stored.has(bytes.join(","));
    // At the ceiling or above: the stored bytes, unchanged.
    for (const quality of [80, 95]) {
      const { bytes } = grabAt(grabber, out, { quality, ...full }, AS_STORED);
      assert(isStored(bytes), `stored bytes at quality ${quality}`);
    }
    // Below the ceiling: re-encoded, smaller.
    const atStored = grabAt(grabber, out, { quality: 80, ...full }, AS_STORED).bytes;
    const low = grabAt(grabber, out, { quality: 30, ...full }).bytes;
    assert(!isStored(low), "quality 30 is not a stored frame");
    assert(low.length < atStored.length * 0.8, `${low.length} vs ${atStored.length}`);
    assertEquals(quantizationTables(low), tablesAt(30));
    // Smaller, even at the ceiling: re-encoded at that size.
    const small = grabAt(grabber, out, { quality: 90, width: 320, height: 240 }).bytes;
    assert(!isStored(small));
    assertEquals(quantizationTables(small), tablesAt(90));
    // A stored frame that does not fit comes again, stored or re-encoded.
    const space = grabber.grab(new Uint8Array(16), { quality: 80, ...full });
    assert(space.kind === "space");
    const kept = grabAt(grabber, out, { quality: 80, ...full }, AS_STORED);
    assertEquals(kept.made.length, space.needed);
    assert(isStored(kept.bytes));
    assertEquals(grabber.grab(new Uint8Array(16), { quality: 80, ...full }).kind, "space");
    grabAt(grabber, out, { quality: 20, width: 320, height: 240 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
