import { Latest } from "../src/latest.ts";
import { type AckTimes, MessageType, now } from "../src/net/protocol.ts";
import { Packet } from "../src/packet.ts";
import { MAX_IN_FLIGHT } from "../src/send/ack_window.ts";
import { type ClockView, RateController } from "../src/send/rate_controller.ts";
import { type Adaptation, Sender } from "../src/send/sender.ts";
import { CallStats } from "../src/stats.ts";
import { assert, assertEquals } from "./_assert.ts";
import { fakeLink, messages } from "./_links.ts";

function setup(adapt?: Adaptation) {
  const box = new Latest([0, 1, 2].map(() => new Packet(1024)));
  const stats = new CallStats();
  const sender = new Sender(box, stats, adapt);
  const failures: unknown[] = [];
  const running = sender.run((_link, error) => failures.push(error));
  let n = 0;
  const publish = (): void => {
    const p = box.acquire();
    p.payload.set([0xff, 0xd8, n, 0xff, 0xd9]);
    p.length = 5;
    p.timestamp = 1000 + n++;
    box.publish(p);
  };
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  };
  const stop = async (): Promise<void> => {
    sender.stop();
    box.close();
    await running;
  };
  return { box, stats, sender, failures, publish, settle, stop };
}

const frames = (bytes: Uint8Array) => messages(bytes).filter((m) => m.type === MessageType.FRAME);

// Times a real receiver could have reported for a frame sent just now: it
// arrived and was acknowledged a fraction of a millisecond before the ACK
// came back (the two clocks agree: offset 0).
function goodTimes(): AckTimes {
  const arrival = now();
  return {
    firstByte: arrival - 0.3,
    lastByte: arrival - 0.2,
    ackSent: arrival - 0.1,
    arrival,
  };
}

// A rate controller with the heartbeat clock known (RTT 2 ms, no offset).
function adaptation(): Adaptation & { clock: ClockView } {
  const controller = new RateController({
    ceiling: { quality: 80, width: 640, height: 480, fps: 30 },
    degrade: "balanced",
    maxKbps: null,
    asStored: false,
  });
  return { controller, clock: { rttMs: 2, offsetMs: 0 } };
}

Deno.test({
  name: "Sender sends at most the window's frames until the peer acknowledges",
  permissions: "none",
}, async () => {
  const t = setup();
  const { link, sink } = fakeLink();
  t.sender.use(link);
  for (let i = 0; i < 5; i++) {
    t.publish();
    await t.settle();
  }
  assertEquals(frames(sink.bytes()).map((m) => m.seq), [0, 1, 2], "three in flight, then it waits");
  // Without a controller (--no-adapt) the times are not looked at.
  t.sender.acked(link, 0, { ...goodTimes(), firstByte: Number.NaN });
  await t.settle();
  assertEquals(t.stats.ackTimesIgnored, 0);
  // The frame sent after the ack is the newest one, not the one that waited.
  const sent = frames(sink.bytes());
  assertEquals(sent.map((m) => m.seq), [0, 1, 2, 3]);
  assertEquals(sent[3]!.timestamp, 1004, "the freshest frame won");
  assertEquals(t.stats.framesSent, 4);
  await t.stop();
});

Deno.test({
  name: "Sender sends nothing without a link or while paused, and resumes",
  permissions: "none",
}, async () => {
  const t = setup();
  t.publish();
  await t.settle();
  const { link, sink } = fakeLink();
  t.sender.pause(true);
  t.sender.use(link);
  t.publish();
  await t.settle();
  assertEquals(frames(sink.bytes()).length, 0, "paused");
  t.sender.pause(false);
  await t.settle();
  assertEquals(frames(sink.bytes()).length, 1, "resumed: the waiting frame goes out");
  await t.stop();
});

Deno.test({
  name: "Sender gives each new link a fresh window and ignores acks from old ones",
  permissions: "none",
}, async () => {
  const t = setup();
  const a = fakeLink(), b = fakeLink();
  t.sender.use(a.link);
  for (let i = 0; i < 3; i++) {
    t.publish();
    await t.settle();
  }
  assertEquals(a.link.window.inFlight, MAX_IN_FLIGHT, "the old link's window is spent");
  t.sender.use(b.link); // reconnected: the old link's window does not matter
  t.publish();
  await t.settle();
  assertEquals(frames(b.sink.bytes()).map((m) => m.seq), [0], "numbering starts again");
  t.sender.acked(a.link, 2, goodTimes()); // a late ack on the old link: harmless
  t.publish();
  await t.settle();
  assertEquals(frames(b.sink.bytes()).length, 2);
  assertEquals(frames(a.sink.bytes()).length, 3);
  await t.stop();
});

Deno.test(
  { name: "Sender reports a failed write with its link", permissions: "none" },
  async () => {
    const t = setup();
    const broken = {
      write(): Promise<number> {
        return Promise.reject(new Deno.errors.BrokenPipe("gone"));
      },
    };
    // deno-lint-ignore no-explicit-any
    const { link } = fakeLink([], broken as any);
    t.sender.use(link);
    t.publish();
    await t.settle();
    assertEquals(t.failures.length, 1);
    assertEquals((t.failures[0] as Error).name, "BrokenPipe");
    assertEquals(t.stats.framesSent, 0);
    await t.stop();
  },
);

// Catches a controller-driven sender that falls back to the fixed window of
// 3 (or sends whenever the frame window of 16 is open) before the first ACK:
// a peer that never acknowledges would get a burst queued in TCP.
Deno.test({
  name: "Sender with a rate controller sends one frame to a peer that never acknowledges",
  permissions: "none",
}, async () => {
  const fixed = setup(), adaptive = setup(adaptation());
  const a = fakeLink(), b = fakeLink();
  fixed.sender.use(a.link);
  adaptive.sender.use(b.link);
  for (let i = 0; i < 12; i++) {
    fixed.publish();
    adaptive.publish();
    await fixed.settle();
  }
  // Long enough for the stall checks (every 25 ms) to run a few times.
  await new Promise((r) => setTimeout(r, 150));
  adaptive.publish();
  await adaptive.settle();
  assertEquals(frames(a.sink.bytes()).length, MAX_IN_FLIGHT, "--no-adapt: the fixed window");
  assertEquals(frames(b.sink.bytes()).map((m) => m.seq), [0], "adaptive: one frame, then it waits");
  assertEquals([adaptive.stats.framesSent, b.link.window.inFlight], [1, 1]);
  await fixed.stop();
  await adaptive.stop();
});

// Catches a sender that stays blocked after the first ACK (the controller
// never consulted again, or no wakeup), that sends the frame that waited
// instead of the newest, or that counts sensible times as ignored.
Deno.test({
  name: "Sender with a rate controller sends again after a valid ACK, the newest frame",
  permissions: "none",
}, async () => {
  const adapt = adaptation();
  const t = setup(adapt);
  const { link, sink } = fakeLink();
  t.sender.use(link);
  for (let i = 0; i < 4; i++) {
    t.publish();
    await t.settle();
  }
  assertEquals(frames(sink.bytes()).length, 1);
  t.sender.acked(link, 0, goodTimes());
  await t.settle();
  const sent = frames(sink.bytes());
  assertEquals(sent.map((m) => m.seq), [0, 1]);
  assertEquals(sent[1]!.timestamp, 1003, "the freshest frame won");
  assertEquals([t.stats.ackTimesIgnored, adapt.controller.ignored], [0, 0]);
  assert(!adapt.controller.stalled);
  // And again: each valid ACK opens the way for the next frame.
  t.publish();
  await t.settle();
  t.sender.acked(link, 1, goodTimes());
  await t.settle();
  assertEquals(frames(sink.bytes()).map((m) => m.seq), [0, 1, 2]);
  assertEquals(t.stats.ackTimesIgnored, 0);
  await t.stop();
});

// Catches a sender or controller that throws on them (the call would end),
// that frees the window only for sensible times (the peer would get one
// frame and then nothing), that does not count them, or that counts an ACK
// more than once.
Deno.test({
  name: "Sender counts absurd ACK times as ignored, never throws, and still sends the next frame",
  permissions: "none",
}, async () => {
  const adapt = adaptation();
  const t = setup(adapt);
  const { link, sink } = fakeLink();
  t.sender.use(link);
  const hostile: Array<(good: AckTimes) => AckTimes> = [
    (g) => ({ ...g, firstByte: Number.NaN }),
    (g) => ({ ...g, lastByte: Number.NaN }),
    (g) => ({ ...g, ackSent: Number.NaN }),
    (g) => ({ ...g, firstByte: Number.NEGATIVE_INFINITY }),
    (g) => ({ ...g, lastByte: Number.POSITIVE_INFINITY }),
    (g) => ({ ...g, firstByte: g.lastByte + 5 }), // first after last
    (g) => ({ ...g, firstByte: g.arrival + 3.6e6 }), // first byte an hour ahead
    // All three an hour ahead: consistent with each other, not with the clock.
    (g) => ({
      ...g,
      firstByte: g.arrival + 3.6e6,
      lastByte: g.arrival + 3.6e6,
      ackSent: g.arrival + 3.6e6,
    }),
    // All ten seconds before the frame was sent.
    (g) => ({
      ...g,
      firstByte: g.arrival - 1e4,
      lastByte: g.arrival - 1e4,
      ackSent: g.arrival - 1e4,
    }),
    (g) => ({ ...g, firstByte: 1e308, lastByte: 1e308, ackSent: 1e308 }),
    (g) => ({ ...g, firstByte: -1e308 }),
    (g) => ({ ...g, firstByte: -5, lastByte: -1 }),
  ];
  for (const [i, make] of hostile.entries()) {
    t.publish();
    await t.settle();
    assertEquals(frames(sink.bytes()).length, i + 1, `frame ${i} went out`);
    const times = make(goodTimes());
    t.sender.acked(link, i, times); // must not throw
    assertEquals(t.stats.ackTimesIgnored, i + 1, `ACK ${i} ${JSON.stringify(times)} was counted`);
    assertEquals(link.window.inFlight, 0, `ACK ${i} freed the window`);
  }
  t.publish();
  await t.settle();
  assertEquals(frames(sink.bytes()).length, hostile.length + 1, "the last ACK freed the window");
  assertEquals(adapt.controller.ignored, hostile.length);
  // Nothing learned from them: no estimate, the ceiling still chosen.
  const estimate = adapt.controller.estimate();
  assertEquals([estimate.targetKbps, estimate.capacityKbps, estimate.queueDelayMs], [
    null,
    null,
    null,
  ]);
  assertEquals(adapt.controller.setting().quality, 80);
  // A sensible ACK after them is taken (the sender did not give up on the peer).
  t.sender.acked(link, hostile.length, goodTimes());
  assertEquals([t.stats.ackTimesIgnored, adapt.controller.ignored], [
    hostile.length,
    hostile.length,
  ]);
  await t.stop();
});
