import { Capture, Frame, JpegEncoder, ShimError } from "../ffi/mod.ts";
import { Decoder } from "../src/receive/decoder.ts";
import { Packet } from "../src/packet.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { psnr } from "./_tools.ts";

// A packet holding the test pattern as JPEG, and the pattern's pixels.
async function jpegPacket(width: number, height: number): Promise<[Packet, Uint8Array]> {
  using cap = await Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  using frame = new Frame();
  using enc = new JpegEncoder();
  await cap.read(frame);
  const packet = new Packet(1 << 20);
  const result = await enc.encode(frame, 90, packet.payload);
  assert(result.ok);
  packet.length = result.length;
  return [packet, frame.toBGR()];
}

Deno.test("Decoder decodes in its worker into the frame it is given, leaving the packet as it was", async () => {
  using decoder = new Decoder();
  using frame = new Frame();
  const [packet, pixels] = await jpegPacket(640, 360);
  const bytes = packet.payload.slice(0, packet.length);
  for (let i = 0; i < 3; i++) {
    await decoder.decode(packet, frame);
    assertEquals([frame.width, frame.height], [640, 360]);
    assert(psnr(pixels, frame.toBGR()) > 32);
    assertEquals(packet.payload.slice(0, packet.length), bytes);
  }
});

Deno.test("Decoder rejects bytes that do not decode with a ShimError, and goes on", async () => {
  using decoder = new Decoder();
  using frame = new Frame();
  const [packet] = await jpegPacket(320, 240);
  const good = packet.length;
  packet.length = good >> 1; // truncated
  await assertRejects(() => decoder.decode(packet, frame), ShimError, "Cannot decode frame");
  packet.payload.fill(0x5a, 0, 64); // no JPEG header at all
  await assertRejects(() => decoder.decode(packet, frame), ShimError, "Cannot decode frame");
  const [fresh] = await jpegPacket(320, 240);
  await decoder.decode(fresh, frame);
  assertEquals([frame.width, frame.height], [320, 240]);
});

Deno.test("Decoder: closing both with a decode in flight frees the frame only after it", async () => {
  const decoder = new Decoder();
  const frame = new Frame();
  const [packet] = await jpegPacket(1280, 720);
  const decoding = decoder.decode(packet, frame);
  decoder.close();
  frame.close(); // deferred: the worker is writing into it
  await decoding;
  assert(frame.closed);
  await assertRejects(() => decoder.decode(packet, new Frame()), Error, "is closed");
});
