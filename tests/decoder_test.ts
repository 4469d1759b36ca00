import { Capture, Frame, JpegEncoder, ShimError } from "../ffi/mod.ts";
import { loadShim } from "../ffi/loader.ts";
import { delay, withTimeout } from "../src/async.ts";
import { CLOSE_TIMEOUT_MS } from "../src/async.ts";
import { CallError } from "../src/errors.ts";
import { Decoder } from "../src/receive/decoder.ts";
import { Packet } from "../src/packet.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { psnr } from "./_tools.ts";

// A packet holding the test pattern as JPEG, and the pattern's pixels.
function jpegPacket(width: number, height: number): [Packet, Uint8Array] {
  using cap = Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  using frame = new Frame();
  using enc = new JpegEncoder();
  cap.readSync(frame);
  const packet = new Packet(1 << 20);
  const result = enc.encodeSync(frame, 90, packet.payload);
  assert(result.ok);
  packet.length = result.length;
  return [packet, frame.toBGR()];
}

Deno.test("Decoder decodes in its worker into the frame it is given, leaving the packet as it was", async () => {
  using decoder = new Decoder();
  using frame = new Frame();
  const [packet, pixels] = jpegPacket(640, 360);
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
  const [packet] = jpegPacket(320, 240);
  const good = packet.length;
  packet.length = good >> 1; // truncated
  await assertRejects(() => decoder.decode(packet, frame), ShimError, "Cannot decode frame");
  packet.payload.fill(0x5a, 0, 64); // no JPEG header at all
  await assertRejects(() => decoder.decode(packet, frame), ShimError, "Cannot decode frame");
  const [fresh] = jpegPacket(320, 240);
  await decoder.decode(fresh, frame);
  assertEquals([frame.width, frame.height], [320, 240]);
});

Deno.test("Decoder.close() with a decode in flight: it completes, the frame is freed after it, the worker ends", async () => {
  const [packet] = jpegPacket(1280, 720);
  const events: string[] = [];
  // A frame whose native free is observed: Frame takes its free function
  // from the symbol table when it is made.
  const shim = loadShim() as { pc_frame_free: (ptr: Deno.PointerObject) => void };
  const free = shim.pc_frame_free;
  shim.pc_frame_free = (ptr) => {
    events.push("frame freed");
    free(ptr);
  };
  let frame: Frame;
  try {
    frame = new Frame();
  } finally {
    shim.pc_frame_free = free;
  }
  const terminate = Worker.prototype.terminate;
  Worker.prototype.terminate = function (this: Worker) {
    events.push("worker ended");
    terminate.call(this);
  };
  try {
    const decoder = new Decoder();
    const decoding = decoder.decode(packet, frame);
    decoder.close();
    frame.close();
    // Freeing now would let the worker write into freed memory; ending the
    // worker now would leave the decode unfinished.
    assertEquals(events, [], "nothing freed or ended while the worker writes into the frame");
    assertEquals(await withTimeout(decoding, 5000), undefined, "the decode in flight completes");
    // Both follow the decode; which of the two comes first is the scheduler's.
    assert(events.includes("frame freed"), "the frame is freed once the decode is done");
    const settled = performance.now();
    while (events.length < 2 && performance.now() - settled < CLOSE_TIMEOUT_MS + 1000) {
      await delay(5);
    }
    assertEquals(events.toSorted(), ["frame freed", "worker ended"], "each once");
    // Ended by its closing call, not stopped by the timeout.
    assert(performance.now() - settled < CLOSE_TIMEOUT_MS / 2, "the worker ended promptly");
    await assertRejects(
      () => decoder.decode(packet, new Frame()),
      CallError,
      "The decode worker is closed",
    );
  } finally {
    Worker.prototype.terminate = terminate;
  }
});
