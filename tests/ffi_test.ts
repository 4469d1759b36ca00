import { Capture, Frame, JpegDecoder, JpegEncoder, scaledSize, ShimError } from "../ffi/mod.ts";
import { NativeObject } from "../ffi/native_object.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { makeClip, psnr } from "./_tools.ts";

function testFrame(width: number, height: number, label?: string): Frame {
  using cap = Capture.open({ kind: "test", spec: "", width, height, fps: 0, label });
  const frame = new Frame();
  assertEquals(cap.readSync(frame), "frame");
  return frame;
}

Deno.test("JpegEncoder and JpegDecoder round-trip a frame, keeping its size and detail", () => {
  using frame = testFrame(640, 480);
  using enc = new JpegEncoder();
  using dec = new JpegDecoder();
  using out = new Frame();
  const buf = new Uint8Array(1 << 20);
  const result = enc.encodeSync(frame, 90, buf);
  assert(result.ok);
  assertEquals([buf[0], buf[1]], [0xff, 0xd8]); // JPEG SOI
  dec.decodeSync(buf, out, result.length);
  assertEquals([out.width, out.height], [640, 480]);
  const quality = psnr(frame.toBGR(), out.toBGR());
  assert(quality > 32, `PSNR ${quality.toFixed(1)} dB`);
  // Lower quality gives fewer bytes and a lower, still sensible, PSNR.
  const low = enc.encodeSync(frame, 20, buf);
  assert(low.ok && low.length < result.length);
  dec.decodeSync(buf, out, low.length);
  const lowQuality = psnr(frame.toBGR(), out.toBGR());
  assert(lowQuality > 24 && lowQuality < quality, `PSNR ${lowQuality.toFixed(1)} dB`);
});

Deno.test("JpegEncoder.encodeSync() reports the size needed when the buffer is too small", () => {
  using frame = testFrame(320, 240);
  using enc = new JpegEncoder();
  const small = enc.encodeSync(frame, 80, new Uint8Array(100));
  assert(!small.ok && small.needed > 100);
  const fits = enc.encodeSync(frame, 80, new Uint8Array(small.needed));
  assert(fits.ok && fits.length === small.needed);
  assertThrows(
    () => enc.encodeSync(frame, 0, new Uint8Array(10)),
    ShimError,
    "Cannot encode frame: invalid argument",
  );
  using empty = new Frame();
  assertThrows(() => enc.encodeSync(empty, 80, new Uint8Array(10)), ShimError, "frame is empty");
});

Deno.test("JpegEncoder.encodeJpegSync() re-encodes a JPEG at another quality, keeping its detail", () => {
  using frame = testFrame(640, 480);
  using enc = new JpegEncoder();
  using dec = new JpegDecoder();
  using out = new Frame();
  const source = new Uint8Array(1 << 20);
  const made = enc.encodeSync(frame, 95, source);
  assert(made.ok);
  dec.decodeSync(source, out, made.length);
  const original = out.toBGR();
  const buf = new Uint8Array(1 << 20);
  const qualities = [];
  for (const quality of [100, 80, 50, 20]) {
    const result = enc.encodeJpegSync(source, made.length, quality, buf);
    assert(result.ok);
    dec.decodeSync(buf, out, result.length);
    assertEquals([out.width, out.height], [640, 480]);
    qualities.push({ quality, bytes: result.length, psnr: psnr(original, out.toBGR()) });
  }
  const shown = JSON.stringify(qualities);
  // Requantizing to finer tables loses next to nothing (the decoder's fast
  // inverse DCT rounds differently for different tables); coarser ones lose
  // a little more at each step and give fewer bytes.
  assert(qualities[0]!.psnr > 45, shown);
  for (let i = 1; i < qualities.length; i++) {
    assert(qualities[i]!.psnr < qualities[i - 1]!.psnr, shown);
    assert(qualities[i]!.bytes < qualities[i - 1]!.bytes, shown);
  }
  assert(qualities.at(-1)!.psnr > 26, shown);
  const small = enc.encodeJpegSync(source, made.length, 80, new Uint8Array(100));
  assert(!small.ok && small.needed > 100);
  const fits = enc.encodeJpegSync(source, made.length, 80, new Uint8Array(small.needed));
  assert(fits.ok && fits.length === small.needed);
  assertThrows(
    () => enc.encodeJpegSync(source, made.length >> 1, 80, buf),
    ShimError,
    "Cannot re-encode frame: cannot re-encode the source frame:",
  );
  const again = enc.encodeJpegSync(source, made.length, 80, buf);
  assert(again.ok && again.length === fits.length, "the encoder recovers after a bad source");
});

Deno.test("JpegDecoder.decodeSync() fails cleanly on corrupt, truncated and empty input", () => {
  using dec = new JpegDecoder();
  using out = new Frame();
  assertThrows(
    () => dec.decodeSync(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), out),
    ShimError,
    "Cannot decode frame: not a decodable JPEG image",
  );
  const random = crypto.getRandomValues(new Uint8Array(4096));
  random[0] = 0xff;
  random[1] = 0xd8; // looks like a JPEG, is not
  assertThrows(() => dec.decodeSync(random, out), ShimError, "Cannot decode frame");
  assertThrows(() => dec.decodeSync(new Uint8Array(0), out), ShimError, "invalid length");
  // A JPEG cut after its header: libjpeg may fill the missing rows or fail,
  // but it must neither crash nor report success with the wrong size.
  using frame = testFrame(320, 240);
  using enc = new JpegEncoder();
  const buf = new Uint8Array(1 << 20);
  const r = enc.encodeSync(frame, 80, buf);
  assert(r.ok);
  try {
    dec.decodeSync(buf, out, Math.floor(r.length / 3));
    assertEquals([out.width, out.height], [320, 240]);
  } catch (error) {
    assert(error instanceof ShimError);
  }
  // The decoder still works afterwards.
  dec.decodeSync(buf, out, r.length);
  assertEquals([out.width, out.height], [320, 240]);
});

// A width x height image of four solid quadrants: blue, green / red, grey.
const QUADRANTS = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 128, 128]] as const;
function quadrants(width: number, height: number): Frame {
  const bgr = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = QUADRANTS[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)]!;
      bgr.set(q, (y * width + x) * 3);
    }
  }
  return Frame.fromBGR(bgr, width, height);
}

Deno.test("JpegDecoder.decodeScaledSync() decodes at 1/2, 1/4 and 1/8 of the size, keeping the picture", () => {
  using source = quadrants(640, 480);
  using enc = new JpegEncoder();
  using dec = new JpegDecoder();
  using out = new Frame();
  const jpeg = new Uint8Array(1 << 20);
  const made = enc.encodeSync(source, 95, jpeg);
  assert(made.ok);
  for (const denominator of [1, 2, 4, 8] as const) {
    dec.decodeScaledSync(jpeg, made.length, denominator, out);
    const { width, height } = scaledSize(640, 480, denominator);
    assertEquals([out.width, out.height], [640 / denominator, 480 / denominator]);
    assertEquals([width, height], [out.width, out.height]);
    // The middle of each quadrant has the quadrant's colour.
    const bgr = out.toBGR();
    for (const [i, colour] of QUADRANTS.entries()) {
      const x = Math.floor(width * ((i % 2) * 2 + 1) / 4);
      const y = Math.floor(height * ((i >> 1) * 2 + 1) / 4);
      const at = [...bgr.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
      assert(
        at.every((v, c) => Math.abs(v - colour[c]!) <= 12),
        `1/${denominator}: quadrant ${i} is ${at}, expected about ${colour}`,
      );
    }
  }
  // Odd sizes round up, as scaledSize() says.
  using odd = quadrants(101, 75);
  const oddJpeg = enc.encodeSync(odd, 90, jpeg);
  assert(oddJpeg.ok);
  for (const denominator of [2, 4, 8] as const) {
    dec.decodeScaledSync(jpeg, oddJpeg.length, denominator, out);
    const expected = scaledSize(101, 75, denominator);
    assertEquals({ width: out.width, height: out.height }, expected);
  }
  assertEquals(scaledSize(101, 75, 8), { width: 13, height: 10 });
});

Deno.test("JpegDecoder.decodeScaledSync() rejects a bad denominator, length or image with a ShimError", () => {
  using dec = new JpegDecoder();
  using out = new Frame();
  using frame = testFrame(64, 48);
  using enc = new JpegEncoder();
  const jpeg = new Uint8Array(1 << 16);
  const made = enc.encodeSync(frame, 80, jpeg);
  assert(made.ok);
  for (const bad of [0, 3, 16, -1]) {
    const error = assertThrows(
      () => dec.decodeScaledSync(jpeg, made.length, bad as 1, out),
      ShimError,
      `Cannot decode frame: invalid argument: scale denominator ${bad} is not 1, 2, 4 or 8`,
    );
    assertEquals((error as ShimError).code, -2);
  }
  assertThrows(() => dec.decodeScaledSync(jpeg, 0, 2, out), ShimError, "invalid length 0");
  assertThrows(() => dec.decodeScaledSync(jpeg, 1 << 17, 2, out), ShimError, "invalid length");
  assertThrows(
    () => dec.decodeScaledSync(new Uint8Array(64).fill(7), 64, 2, out),
    ShimError,
    "Cannot decode frame: not a decodable JPEG image",
  );
  // Still decodes afterwards.
  dec.decodeScaledSync(jpeg, made.length, 2, out);
  assertEquals([out.width, out.height], [32, 24]);
});

Deno.test("Capture reads a video file the test made, scales it, and rewinds at the end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 12);
    using cap = Capture.open({ kind: "file", spec: clip, width: 160, height: 120, fps: 0 });
    using frame = new Frame();
    let frames = 0;
    while (cap.readSync(frame) === "frame") {
      frames++;
      assertEquals([frame.width, frame.height], [160, 120]);
    }
    assertEquals(frames, 12);
    cap.rewindSync();
    assertEquals(cap.readSync(frame), "frame");
    using native = Capture.open({ kind: "file", spec: clip, width: 0, height: 0, fps: 0 });
    assertEquals(native.readSync(frame), "frame");
    assertEquals([frame.width, frame.height], [320, 240]);
    using url = Capture.open({ kind: "url", spec: `file://${clip}`, width: 0, height: 0, fps: 0 });
    assertEquals(url.readSync(frame), "frame");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Capture's test source draws moving frames of the size asked for", () => {
  using cap = Capture.open({ kind: "test", spec: "", width: 320, height: 180, fps: 30 });
  using a = new Frame();
  using b = new Frame();
  cap.readSync(a);
  for (let i = 0; i < 5; i++) cap.readSync(b);
  assertEquals([a.width, a.height, b.width, b.height], [320, 180, 320, 180]);
  const pa = a.toBGR(), pb = b.toBGR();
  let differing = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) differing++;
  assert(differing > 1000, `only ${differing} bytes changed`);
  assertThrows(
    () => Capture.open({ kind: "test", spec: "", width: 0, height: 0, fps: 0 }),
    ShimError,
    "invalid argument",
  );
});

// Rows from `top` down, where the test pattern draws its label (the frame
// counter and clock above it differ from capture to capture).
function rowsFrom(frame: Frame, top: number): Uint8Array {
  return frame.toBGR().subarray(top * frame.width * 3);
}

function differing(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

Deno.test("Capture's test source draws its label: the same label the same pixels, another label others", () => {
  // 320x240: the counter and clock end above row 44, where the label starts.
  const top = 44;
  using alice = testFrame(320, 240, "Alice");
  using alice2 = testFrame(320, 240, "Alice");
  using bob = testFrame(320, 240, "Bob");
  using none = testFrame(320, 240);
  assertEquals(rowsFrom(alice, top), rowsFrom(alice2, top));
  for (const other of [bob, none]) {
    const n = differing(rowsFrom(alice, top), rowsFrom(other, top));
    assert(n > 1000, `only ${n} bytes differ`);
  }
  // Most label pixels are white or the dark outline, drawn over the pattern.
  const pa = rowsFrom(alice, top), pn = rowsFrom(none, top);
  let white = 0, dark = 0;
  for (let i = 0; i < pa.length; i += 3) {
    if (pa[i] === pn[i] && pa[i + 1] === pn[i + 1] && pa[i + 2] === pn[i + 2]) continue;
    if (pa[i]! > 230 && pa[i + 1]! > 230 && pa[i + 2]! > 230) white++;
    if (pa[i]! < 40 && pa[i + 1]! < 40 && pa[i + 2]! < 40) dark++;
  }
  assert(white > 300 && dark > 300, `white ${white}, dark ${dark}`);
  // Not ASCII: drawn as '?'; longer than 64 characters: cut there.
  using zoe = testFrame(320, 240, "Zoë 😀");
  using ascii = testFrame(320, 240, "Zo? ?");
  assertEquals(rowsFrom(zoe, top), rowsFrom(ascii, top));
  using long = testFrame(320, 240, "x".repeat(64) + "yyyy");
  using cut = testFrame(320, 240, "x".repeat(64));
  assertEquals(rowsFrom(long, top), rowsFrom(cut, top));
});

Deno.test("Capture opens a GStreamer pipeline ending in appsink", () => {
  const pipeline = "videotestsrc num-buffers=3 ! video/x-raw,format=BGR,width=160,height=120 " +
    "! appsink";
  using cap = Capture.open({ kind: "gstreamer", spec: pipeline, width: 0, height: 0, fps: 0 });
  using frame = new Frame();
  let frames = 0;
  while (cap.readSync(frame) === "frame") frames++;
  assertEquals([frames, frame.width, frame.height], [3, 160, 120]);
});

Deno.test("Capture.open() rejects a camera that does not exist and a missing file", () => {
  assertThrows(
    () => Capture.open({ kind: "device", spec: "/dev/video99", width: 640, height: 480, fps: 30 }),
    ShimError,
    "no backend could open it",
  );
  assertThrows(
    () => Capture.open({ kind: "file", spec: "/no/such.avi", width: 0, height: 0, fps: 0 }),
    ShimError,
    "no backend could open it",
  );
});

Deno.test("Frame round-trips packed BGR and rejects the wrong length", () => {
  const bgr = new Uint8Array(16 * 8 * 3).map((_, i) => i & 0xff);
  using frame = Frame.fromBGR(bgr, 16, 8);
  assertEquals([frame.width, frame.height], [16, 8]);
  assertEquals(frame.toBGR(), bgr);
  assertThrows(() => Frame.fromBGR(bgr, 16, 9), RangeError, "expected 16x9x3 bytes");
});

Deno.test("every wrapper refuses calls once closed, naming what is closed", () => {
  using frame = testFrame(64, 48);
  const enc = new JpegEncoder();
  const dec = new JpegDecoder();
  const cap = Capture.open({ kind: "test", spec: "", width: 64, height: 48, fps: 0 });
  const gone = new Frame();
  for (const native of [enc, dec, cap, gone]) native.close();
  const buf = new Uint8Array(1 << 16);
  assertThrows(() => enc.encodeSync(frame, 80, buf), ShimError, "Cannot use encoder: it is closed");
  assertThrows(() => dec.decodeSync(buf, frame, 10), ShimError, "Cannot use decoder: it is closed");
  assertThrows(
    () => dec.decodeScaledSync(buf, 10, 2, frame),
    ShimError,
    "Cannot use decoder: it is closed",
  );
  assertThrows(() => cap.readSync(frame), ShimError, "Cannot use capture: it is closed");
  assertThrows(() => cap.sourceSize(), ShimError, "Cannot use capture: it is closed");
  assertThrows(() => gone.width, ShimError, "Cannot use frame: it is closed");
  // A closed frame passed to a live object is refused too.
  using live = new JpegEncoder();
  assertThrows(() => live.encodeSync(gone, 80, buf), ShimError, "Cannot use frame: it is closed");
});

// A NativeObject over a fake handle whose free only counts.
class Counted extends NativeObject {
  constructor(freed: bigint[], address: bigint) {
    super(
      Deno.UnsafePointer.create(address),
      (ptr) => freed.push(BigInt(Deno.UnsafePointer.value(ptr))),
      "counted",
    );
  }
  call(): number {
    return this.exclusiveSync(() => 1);
  }
}

Deno.test("close() frees once, at once; while lent, only when the lend settles", async () => {
  const freed: bigint[] = [];
  const plain = new Counted(freed, 0x1000n);
  plain.close();
  assertEquals(freed, [0x1000n], "freed at once");
  plain.close();
  plain[Symbol.dispose]();
  assertEquals(freed, [0x1000n], "never twice");

  const lent = new Counted(freed, 0x2000n);
  let release!: () => void;
  const done = lent.lend(() => new Promise<void>((resolve) => release = resolve));
  assertThrows(() => lent.call(), ShimError, "Cannot use counted: a call is already in flight");
  await assertRejects(() => lent.lend(() => Promise.resolve()), ShimError, "in flight");
  lent.close();
  assertEquals(freed, [0x1000n], "not freed while lent");
  assertThrows(() => lent.call(), ShimError, "Cannot use counted: it is closed");
  lent.close();
  release();
  await done;
  assertEquals(freed, [0x1000n, 0x2000n], "freed when the lend settled");
  lent.close();
  assertEquals(freed, [0x1000n, 0x2000n], "never twice");

  // A lend that fails frees too.
  const failing = new Counted(freed, 0x3000n);
  const failed = failing.lend(() => Promise.reject(new Error("worker died")));
  failing.close();
  await assertRejects(() => failed, Error, "worker died");
  assertEquals(freed, [0x1000n, 0x2000n, 0x3000n]);
});

Deno.test("Capture passes an MJPEG file's own JPEG frames through, undecoded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 5);
    using cap = Capture.open({ kind: "file", spec: clip, width: 320, height: 240, fps: 0 });
    assertEquals(cap.sourceSize(), [320, 240]);
    assert(cap.enablePassthrough());
    const buf = new Uint8Array(1 << 20);
    using dec = new JpegDecoder();
    using out = new Frame();
    let frames = 0;
    for (let r; (r = cap.readJpegSync(buf)).kind === "frame"; frames++) {
      assertEquals([buf[0], buf[1]], [0xff, 0xd8]);
      dec.decodeSync(buf, out, r.length);
      assertEquals([out.width, out.height], [320, 240]);
    }
    assertEquals(frames, 5);
    cap.rewindSync();
    const small = cap.readJpegSync(new Uint8Array(16));
    assert(small.kind === "space" && small.needed > 16);
    // The frame that did not fit comes again, into a buffer that fits.
    const again = cap.readJpegSync(new Uint8Array(small.needed));
    assert(again.kind === "frame" && again.length === small.needed);
    using test = Capture.open({ kind: "test", spec: "", width: 64, height: 48, fps: 0 });
    assertEquals(test.enablePassthrough(), false);
    assertThrows(
      () => test.readJpegSync(buf),
      ShimError,
      "Cannot read frame: the source is not in passthrough mode",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lent handle is lent once at a time and outlives close(); a borrowed frame frees nothing", async () => {
  const frame = testFrame(64, 48);
  let release!: () => void;
  const lent = frame.lend((ptr) =>
    new Promise<bigint>((resolve) => release = () => resolve(BigInt(Deno.UnsafePointer.value(ptr))))
  );
  await assertRejects(() => frame.lend(() => Promise.resolve()), ShimError, "in flight");
  const address = BigInt(Deno.UnsafePointer.value(frame.handle));
  const borrowed = new Frame(Deno.UnsafePointer.create(address)!);
  frame.close(); // deferred while lent
  assertEquals([borrowed.width, borrowed.height], [64, 48]);
  borrowed.close(); // frees nothing
  using enc = new JpegEncoder();
  assert(enc.encodeSync(frameOf(address), 80, new Uint8Array(1 << 16)).ok); // still alive
  release();
  assertEquals(await lent, address);
  assert(frame.closed);
});

// Another borrowed view of the frame at `address`.
function frameOf(address: bigint): Frame {
  return new Frame(Deno.UnsafePointer.create(address)!);
}
