import { fillFrame, Frame, JpegEncoder } from "../ffi/mod.ts";
import { Latest } from "../src/latest.ts";
import { Packet } from "../src/packet.ts";
import { Decoder } from "../src/receive/decoder.ts";
import { Fanout, type FrameInfo } from "../src/receive/fanout.ts";
import { CallStats } from "../src/stats.ts";
import { assert, assertEquals } from "./_assert.ts";

function jpeg(width: number, height: number): Uint8Array {
  using frame = new Frame();
  fillFrame(frame, width, height, [10, 200, 30]);
  using encoder = new JpegEncoder();
  const out = new Uint8Array(1 << 20);
  const result = encoder.encodeSync(frame, 80, out);
  if (!result.ok) throw new Error("does not fit");
  return out.slice(0, result.length);
}

function publish(box: Latest<Packet>, bytes: Uint8Array, seq: number, timestamp: number): void {
  const p = box.acquire();
  p.reserve(bytes.length, 1 << 24);
  p.payload.set(bytes);
  p.length = bytes.length;
  p.seq = seq;
  p.timestamp = timestamp;
  box.publish(p);
}

Deno.test("Fanout hands each frame's bytes to packet sinks and its picture to picture sinks", async () => {
  const box = new Latest([0, 1, 2].map(() => new Packet(1024)));
  const stats = new CallStats();
  using decoder = new Decoder();
  using frame = new Frame();
  let rtt: number | null = null;
  const events: string[] = [];
  const errors: string[] = [];
  const fanout = new Fanout({
    decoder,
    frame,
    stats,
    clock: {
      get rttMs() {
        return rtt;
      },
      toLocal: (t) => t - 1000,
    },
    ack: (p) => events.push(`ack ${p.seq}`),
    onDecodeError: (m) => errors.push(m),
    onShown: () => events.push("shown"),
  });
  const seen: Array<[number[], FrameInfo]> = [];
  fanout.addPacketSink({
    packet: (bytes, info) => {
      events.push(`packet ${info.seq}`);
      seen.push([Array.from(bytes), { ...info }]);
    },
  });
  fanout.addPictureSink({
    picture: (f, info) => events.push(`picture ${info.seq} ${f.width}x${f.height}`),
  });
  const abort = new AbortController();
  const running = fanout.run(box, abort.signal);
  const first = jpeg(64, 48);
  publish(box, first, 7, 5000);
  while (!events.includes("shown")) await new Promise((r) => setTimeout(r, 5));
  rtt = 1; // the clock is known from now on
  publish(box, jpeg(32, 16), 8, 6000);
  while (events.filter((e) => e === "shown").length < 2) await new Promise((r) => setTimeout(r, 5));
  // A frame that does not decode: counted, reported once, no picture.
  publish(box, new Uint8Array([1, 2, 3]), 9, 7000);
  publish(box, new Uint8Array([4, 5, 6]), 10, 7000);
  while (stats.decodeErrors < 1) await new Promise((r) => setTimeout(r, 5));
  box.close();
  await running;
  assertEquals(events.slice(0, 8), [
    "ack 7",
    "packet 7",
    "picture 7 64x48",
    "shown",
    "ack 8",
    "packet 8",
    "picture 8 32x16",
    "shown",
  ]);
  assertEquals(seen[0]![0], Array.from(first), "the bytes as they arrived");
  assertEquals(seen[0]![1], { seq: 7, peerTime: 5000, localTime: null }, "no clock yet");
  assertEquals(seen[1]![1].localTime, 5000, "mapped with the clock offset");
  assert(!events.some((e) => e.startsWith("picture 9") || e.startsWith("picture 10")));
  assertEquals(errors.length, 1, "reported once");
  assert(stats.decodeErrors >= 1);
  assertEquals([stats.framesDecoded, stats.frameWidth, stats.frameHeight], [2, 32, 16]);
  assertEquals(stats.latency.count, 1, "latency only once the clock is known");
});
