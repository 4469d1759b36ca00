import { Frame, JpegDecoder } from "../ffi/mod.ts";
import { CallError } from "../src/errors.ts";
import { Grabber, type GrabberOptions, type GrabResult } from "../src/send/grabber.ts";
import { parseSource } from "../src/source.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { makeClip } from "./_tools.ts";

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

function frame(result: GrabResult): { length: number; timestamp: number } {
  if (result.kind !== "frame") throw new Error(`expected a frame, got ${result.kind}`);
  return result;
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
