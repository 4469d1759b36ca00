import { Capture, Frame, JpegDecoder, JpegEncoder, ShimError } from "../ffi/mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "./_assert.ts";
import { makeClip, psnr } from "./_tools.ts";

async function testFrame(width: number, height: number): Promise<Frame> {
  using cap = await Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  const frame = new Frame();
  assertEquals(await cap.read(frame), "frame");
  return frame;
}

Deno.test("JpegEncoder and JpegDecoder round-trip a frame, keeping its size and detail", async () => {
  using frame = await testFrame(640, 480);
  using enc = new JpegEncoder();
  using dec = new JpegDecoder();
  using out = new Frame();
  const buf = new Uint8Array(1 << 20);
  const result = await enc.encode(frame, 90, buf);
  assert(result.ok);
  assertEquals([buf[0], buf[1]], [0xff, 0xd8]); // JPEG SOI
  await dec.decode(buf, out, result.length);
  assertEquals([out.width, out.height], [640, 480]);
  const quality = psnr(frame.toBGR(), out.toBGR());
  assert(quality > 32, `PSNR ${quality.toFixed(1)} dB`);
  // Lower quality gives fewer bytes and a lower, still sensible, PSNR.
  const low = await enc.encode(frame, 20, buf);
  assert(low.ok && low.length < result.length);
  await dec.decode(buf, out, low.length);
  const lowQuality = psnr(frame.toBGR(), out.toBGR());
  assert(lowQuality > 24 && lowQuality < quality, `PSNR ${lowQuality.toFixed(1)} dB`);
});

Deno.test("JpegEncoder.encode() reports the size needed when the buffer is too small", async () => {
  using frame = await testFrame(320, 240);
  using enc = new JpegEncoder();
  const small = await enc.encode(frame, 80, new Uint8Array(100));
  assert(!small.ok && small.needed > 100);
  const fits = await enc.encode(frame, 80, new Uint8Array(small.needed));
  assert(fits.ok && fits.length === small.needed);
  await assertRejects(
    () => enc.encode(frame, 0, new Uint8Array(10)),
    ShimError,
    "invalid argument",
  );
  using empty = new Frame();
  await assertRejects(() => enc.encode(empty, 80, new Uint8Array(10)), ShimError, "frame is empty");
});

Deno.test("JpegEncoder.encodeJpeg() re-encodes a JPEG at another quality, keeping its detail", async () => {
  using frame = await testFrame(640, 480);
  using enc = new JpegEncoder();
  using dec = new JpegDecoder();
  using out = new Frame();
  const source = new Uint8Array(1 << 20);
  const made = await enc.encode(frame, 95, source);
  assert(made.ok);
  await dec.decode(source, out, made.length);
  const original = out.toBGR();
  const buf = new Uint8Array(1 << 20);
  const qualities = [];
  for (const quality of [100, 80, 50, 20]) {
    const result = await enc.encodeJpeg(source, made.length, quality, buf);
    assert(result.ok);
    await dec.decode(buf, out, result.length);
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
  const small = await enc.encodeJpeg(source, made.length, 80, new Uint8Array(100));
  assert(!small.ok && small.needed > 100);
  const fits = await enc.encodeJpeg(source, made.length, 80, new Uint8Array(small.needed));
  assert(fits.ok && fits.length === small.needed);
  await assertRejects(
    () => enc.encodeJpeg(source, made.length >> 1, 80, buf),
    ShimError,
    "Cannot re-encode frame: cannot re-encode the source frame:",
  );
  const again = await enc.encodeJpeg(source, made.length, 80, buf);
  assert(again.ok && again.length === fits.length, "the encoder recovers after a bad source");
});

Deno.test("JpegDecoder.decode() fails cleanly on corrupt, truncated and empty input", async () => {
  using dec = new JpegDecoder();
  using out = new Frame();
  await assertRejects(
    () => dec.decode(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), out),
    ShimError,
    "Cannot decode frame: not a decodable JPEG image",
  );
  const random = crypto.getRandomValues(new Uint8Array(4096));
  random[0] = 0xff;
  random[1] = 0xd8; // looks like a JPEG, is not
  await assertRejects(() => dec.decode(random, out), ShimError, "Cannot decode frame");
  await assertRejects(() => dec.decode(new Uint8Array(0), out), ShimError, "invalid length");
  // A JPEG cut after its header: libjpeg may fill the missing rows or fail,
  // but it must neither crash nor report success with the wrong size.
  using frame = await testFrame(320, 240);
  using enc = new JpegEncoder();
  const buf = new Uint8Array(1 << 20);
  const r = await enc.encode(frame, 80, buf);
  assert(r.ok);
  try {
    await dec.decode(buf, out, Math.floor(r.length / 3));
    assertEquals([out.width, out.height], [320, 240]);
  } catch (error) {
    assert(error instanceof ShimError);
  }
  // The decoder still works afterwards.
  await dec.decode(buf, out, r.length);
  assertEquals([out.width, out.height], [320, 240]);
});

Deno.test("Capture reads a video file the test made, scales it, and rewinds at the end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 12);
    using cap = await Capture.open({ kind: "file", spec: clip, width: 160, height: 120, fps: 0 });
    using frame = new Frame();
    let frames = 0;
    while (await cap.read(frame) === "frame") {
      frames++;
      assertEquals([frame.width, frame.height], [160, 120]);
    }
    assertEquals(frames, 12);
    await cap.rewind();
    assertEquals(await cap.read(frame), "frame");
    using native = await Capture.open({ kind: "file", spec: clip, width: 0, height: 0, fps: 0 });
    assertEquals(await native.read(frame), "frame");
    assertEquals([frame.width, frame.height], [320, 240]);
    using url = await Capture.open({
      kind: "url",
      spec: `file://${clip}`,
      width: 0,
      height: 0,
      fps: 0,
    });
    assertEquals(await url.read(frame), "frame");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Capture's test source draws moving frames of the size asked for", async () => {
  using cap = await Capture.open({ kind: "test", spec: "", width: 320, height: 180, fps: 30 });
  using a = new Frame();
  using b = new Frame();
  await cap.read(a);
  for (let i = 0; i < 5; i++) await cap.read(b);
  assertEquals([a.width, a.height, b.width, b.height], [320, 180, 320, 180]);
  const pa = a.toBGR(), pb = b.toBGR();
  let differing = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] !== pb[i]) differing++;
  assert(differing > 1000, `only ${differing} bytes changed`);
  await assertRejects(
    () => Capture.open({ kind: "test", spec: "", width: 0, height: 0, fps: 0 }),
    ShimError,
    "invalid argument",
  );
});

Deno.test("Capture opens a GStreamer pipeline ending in appsink", async () => {
  const pipeline = "videotestsrc num-buffers=3 ! video/x-raw,format=BGR,width=160,height=120 " +
    "! appsink";
  using cap = await Capture.open({
    kind: "gstreamer",
    spec: pipeline,
    width: 0,
    height: 0,
    fps: 0,
  });
  using frame = new Frame();
  let frames = 0;
  while (await cap.read(frame) === "frame") frames++;
  assertEquals([frames, frame.width, frame.height], [3, 160, 120]);
});

Deno.test("Capture.open() rejects a camera that does not exist and a missing file", async () => {
  await assertRejects(
    () => Capture.open({ kind: "device", spec: "/dev/video99", width: 640, height: 480, fps: 30 }),
    ShimError,
  );
  await assertRejects(
    () => Capture.open({ kind: "file", spec: "/no/such.avi", width: 0, height: 0, fps: 0 }),
    ShimError,
  );
});

Deno.test("Frame round-trips packed BGR and rejects the wrong length", () => {
  const bgr = new Uint8Array(16 * 8 * 3).map((_, i) => i & 0xff);
  using frame = Frame.fromBGR(bgr, 16, 8);
  assertEquals([frame.width, frame.height], [16, 8]);
  assertEquals(frame.toBGR(), bgr);
  assertThrows(() => Frame.fromBGR(bgr, 16, 9), RangeError, "expected 16x9x3 bytes");
});

Deno.test("close() is idempotent and use after close throws", async () => {
  const frame = new Frame();
  const enc = new JpegEncoder();
  frame.close();
  frame.close();
  enc.close();
  assert(frame.closed);
  assertThrows(() => frame.width, ShimError, "Cannot use frame: it is closed");
  await assertRejects(() => enc.encode(frame, 80, new Uint8Array(10)), ShimError, "closed");
});

Deno.test("a handle refuses a second call while one is in flight, and close() waits for it", async () => {
  const cap = await Capture.open({ kind: "test", spec: "", width: 1280, height: 720, fps: 0 });
  using frame = new Frame();
  const first = cap.read(frame);
  await assertRejects(() => cap.read(frame), ShimError, "already in flight");
  cap.close(); // deferred until the read returns
  assertEquals(await first, "frame");
  assert(cap.closed);
});

Deno.test("Capture passes an MJPEG file's own JPEG frames through, undecoded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 5);
    using cap = await Capture.open({ kind: "file", spec: clip, width: 320, height: 240, fps: 0 });
    assertEquals(cap.sourceSize(), [320, 240]);
    assert(cap.enablePassthrough());
    const buf = new Uint8Array(1 << 20);
    using dec = new JpegDecoder();
    using out = new Frame();
    let frames = 0;
    for (let r; (r = await cap.readJpeg(buf)).kind === "frame"; frames++) {
      assertEquals([buf[0], buf[1]], [0xff, 0xd8]);
      await dec.decode(buf, out, r.length);
      assertEquals([out.width, out.height], [320, 240]);
    }
    assertEquals(frames, 5);
    const small = await (async () => {
      await cap.rewind();
      return await cap.readJpeg(new Uint8Array(16));
    })();
    assert(small.kind === "space" && small.needed > 16);
    // The frame that did not fit comes again, into a buffer that fits.
    const again = await cap.readJpeg(new Uint8Array(small.needed));
    assert(again.kind === "frame" && again.length === small.needed);
    using test = await Capture.open({ kind: "test", spec: "", width: 64, height: 48, fps: 0 });
    assertEquals(test.enablePassthrough(), false);
    await assertRejects(() => test.readJpeg(buf), ShimError, "not in passthrough mode");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the synchronous twins give what the nonblocking calls give", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 2);
    using a = await Capture.open({ kind: "file", spec: clip, width: 320, height: 240, fps: 0 });
    using b = await Capture.open({ kind: "file", spec: clip, width: 320, height: 240, fps: 0 });
    using fa = new Frame();
    using fb = new Frame();
    assertEquals([await a.read(fa), b.readSync(fb)], ["frame", "frame"]);
    assertEquals(fa.toBGR(), fb.toBGR());
    using enc = new JpegEncoder();
    const [ja, jb] = [new Uint8Array(1 << 20), new Uint8Array(1 << 20)];
    const [ea, eb] = [await enc.encode(fa, 70, ja), enc.encodeSync(fb, 70, jb)];
    assert(ea.ok && eb.ok && ea.length === eb.length);
    assertEquals(ja.subarray(0, ea.length), jb.subarray(0, eb.length));
    const [ta, tb] = [
      await enc.encodeJpeg(ja, ea.length, 30, new Uint8Array(1 << 20)),
      enc.encodeJpegSync(jb, eb.length, 30, new Uint8Array(1 << 20)),
    ];
    assert(ta.ok && tb.ok && ta.length === tb.length && ta.length < ea.length);
    using dec = new JpegDecoder();
    using da = new Frame();
    using db = new Frame();
    await dec.decode(ja, da, ea.length);
    dec.decodeSync(jb, db, eb.length);
    assertEquals(da.toBGR(), db.toBGR());
    assertThrows(() => dec.decodeSync(jb, db, 10), ShimError, "Cannot decode frame");
    // Passthrough reads, both ways.
    await a.rewind();
    await b.rewind();
    assert(a.enablePassthrough() && b.enablePassthrough());
    const [ra, rb] = [await a.readJpeg(ja), b.readJpegSync(jb)];
    assert(ra.kind === "frame" && rb.kind === "frame" && ra.length === rb.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lent handle is lent once at a time and outlives close(); a borrowed frame frees nothing", async () => {
  const frame = await testFrame(64, 48);
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
