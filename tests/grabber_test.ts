import { Frame, JpegDecoder } from "../ffi/mod.ts";
import { CallError } from "../src/errors.ts";
import { Grabber, type GrabberOptions } from "../src/grabber.ts";
import { Packet } from "../src/packet.ts";
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

// Decodes a grabbed packet's JPEG and returns its size.
async function size(packet: Packet): Promise<[number, number]> {
  using dec = new JpegDecoder();
  using frame = new Frame();
  await dec.decode(packet.payload, frame, packet.length);
  return [frame.width, frame.height];
}

Deno.test("Grabber makes JPEG from the test pattern, growing a packet that is too small", async () => {
  using grabber = await Grabber.open(options("test"));
  assertEquals(grabber.mode, "encode");
  const packet = new Packet(0);
  const before = Date.now();
  assertEquals(grabber.grab(packet), "frame");
  assert(packet.payload.length >= packet.length && packet.length > 1000, "grown to fit");
  assert(packet.timestamp >= before - 1 && packet.timestamp <= Date.now() + 1, "capture time");
  assertEquals(await size(packet), [320, 240]);
});

Deno.test("Grabber passes an MJPEG file through or re-encodes it, ends, and rewinds", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 3);
    using pass = await Grabber.open(options(clip, { passthrough: true }));
    using recode = await Grabber.open(options(clip, { quality: 20 }));
    assertEquals([pass.mode, recode.mode], ["passthrough", "transcode"]);
    const a = new Packet(16), b = new Packet(16);
    for (let i = 0; i < 3; i++) {
      assertEquals([pass.grab(a), recode.grab(b)], ["frame", "frame"]);
      assert(b.length < a.length, "quality 20 is smaller than the stored frame");
      assertEquals(await size(b), [320, 240]);
    }
    assertEquals(pass.grab(a), "end");
    await pass.rewind();
    assertEquals(pass.grab(a), "frame");
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
