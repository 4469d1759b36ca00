import { AckWindow, MAX_FRAMES_IN_FLIGHT } from "../src/send/ack_window.ts";
import {
  type ClockView,
  MIN_TARGET_BPS,
  RateController,
  type RateControllerOptions,
} from "../src/send/rate_controller.ts";
import type { Rung } from "../src/send/ladder.ts";
import { assert, assertEquals } from "./_assert.ts";

const CEILING = { quality: 80, width: 640, height: 480, fps: 30 };
const T0 = 1_700_000_000_000; // an epoch time, as the real clocks give
const PEER_OFFSET = 4321.5; // the peer's clock runs ahead of this one
const CLOCK: ClockView = { rttMs: 40, offsetMs: PEER_OFFSET };

function controller(options: Partial<RateControllerOptions> = {}): RateController {
  return new RateController({
    ceiling: CEILING,
    degrade: "balanced",
    maxKbps: null,
    asStored: false,
    ...options,
  });
}

// The bytes a frame at `rung` takes: 16 KB at 640x480 q80, a flatter curve
// than the model's default (as a test pattern's is), so the model must learn.
function trueSize(rung: Rung): number {
  const area = (rung.width * rung.height) / (640 * 480);
  return 16_000 * area ** 0.9 * (0.55 + 0.45 * (rung.quality - 40) / 40);
}

interface SimResult {
  /** Per simulated second: frames delivered, p95 capture-to-arrival latency, the rung. */
  seconds: Array<{ fps: number; p95: number; rung: number; maxAge: number }>;
  controller: RateController;
}

/**
 * Runs a call's sending direction over a simulated bottleneck in 1 ms steps:
 * capture at the rung's rate into a one-frame slot (a newer frame replaces
 * a waiting one), send while the controller allows, the bottleneck
 * serializes at `kbps(t)` after a FIFO, one-way delay `delayMs` each way,
 * the receiver acknowledges each frame 1 ms after its last byte.
 */
function simulate(
  rc: RateController,
  seconds: number,
  kbps: (t: number) => number,
  delayMs = 20,
  size: (rung: Rung) => number = trueSize,
): SimResult {
  const window = new AckWindow(MAX_FRAMES_IN_FLIGHT);
  let slot: { bytes: number; captured: number } | null = null;
  let nextCapture = T0;
  let linkFreeAt = T0;
  const acks: Array<{ at: number; seq: number; f: number; l: number; a: number }> = [];
  const arrivals: Array<{ at: number; latency: number }> = [];
  const rungAt: number[] = [];
  for (let t = T0; t < T0 + seconds * 1000; t++) {
    // Acknowledgements due now.
    while (acks.length > 0 && acks[0]!.at <= t) {
      const ack = acks.shift()!;
      const acked = window.acked(ack.seq);
      if (acked) {
        rc.acked(acked, { firstByte: ack.f, lastByte: ack.l, ackSent: ack.a, arrival: t }, CLOCK);
      }
    }
    if ((t - T0) % 25 === 0) rc.tick(t, window.oldestSentAt);
    if (t >= nextCapture) {
      const rung = rc.setting();
      const bytes = size(rung);
      // As the capture reports it: the quality and size made, not the rung.
      rc.produced(bytes, { quality: rung.quality, width: rung.width, height: rung.height });
      slot = { bytes, captured: t };
      nextCapture += 1000 / rung.fps;
    }
    if ((t - T0) % 1000 === 0) rungAt.push(rc.rung);
    if (slot && rc.maySend(window)) {
      const seq = window.next(slot.bytes, t);
      const rate = kbps(t) * 1000 / 8 / 1000; // bytes per ms
      const start = Math.max(t, linkFreeAt);
      const first = start + Math.min(slot.bytes, 1500) / rate + delayMs;
      const last = start + slot.bytes / rate + delayMs;
      linkFreeAt = start + slot.bytes / rate;
      const peer = (x: number) => x + PEER_OFFSET;
      acks.push({ at: last + 1 + delayMs, seq, f: peer(first), l: peer(last), a: peer(last + 1) });
      acks.sort((x, y) => x.at - y.at);
      arrivals.push({ at: last, latency: last - slot.captured });
      slot = null;
    }
  }
  const out: SimResult["seconds"] = [];
  for (let s = 0; s < seconds; s++) {
    const inSecond = arrivals.filter((a) => a.at >= T0 + s * 1000 && a.at < T0 + (s + 1) * 1000)
      .map((a) => a.latency).sort((x, y) => x - y);
    out.push({
      fps: inSecond.length,
      p95: inSecond.length ? inSecond[Math.ceil(inSecond.length * 0.95) - 1]! : Infinity,
      maxAge: inSecond.length ? inSecond.at(-1)! : Infinity,
      rung: rungAt[s] ?? -1,
    });
  }
  return { seconds: out, controller: rc };
}

Deno.test({
  name: "under a steady 2 Mbit/s cap with 20 ms each way: p95 under 100 ms at 25+ fps",
  permissions: "none",
}, () => {
  const { seconds, controller: rc } = simulate(controller(), 12, () => 2000);
  // After settling (the first seconds find the capacity).
  for (const s of seconds.slice(3)) {
    assert(s.p95 < 100, `p95 ${s.p95.toFixed(1)} ms: ${JSON.stringify(seconds)}`);
    assert(s.fps >= 25, `${s.fps} fps: ${JSON.stringify(seconds)}`);
  }
  const estimate = rc.estimate();
  assert(estimate.degraded, "16 KB frames at 30 fps need 3.8 Mbit/s: the sender must step down");
  assert(
    estimate.capacityKbps! > 1700 && estimate.capacityKbps! < 2300,
    `capacity ${estimate.capacityKbps}`,
  );
  assert(estimate.targetKbps! < 2000, `target ${estimate.targetKbps}`);
});

// Real footage (vtest.avi at 640x480) as the shim's encoder sizes it: 53 KB
// at q80, 8.7 KB at 320x240 q40.
function footageSize(rung: Rung): number {
  const area = (rung.width * rung.height) / (640 * 480);
  const shape = [0.32, 0.37, 0.42, 0.47, 0.5, 0.55, 0.58, 0.62, 0.67, 0.73, 0.8, 0.88, 1];
  return 53_000 * area ** 0.9 * shape[Math.round((rung.quality - 20) / 5)]!;
}

Deno.test({
  name: "real footage's large frames under 2 Mbit/s: 320x240 at a lower quality, still 25+ fps",
  permissions: "none",
}, () => {
  const { seconds, controller: rc } = simulate(controller(), 12, () => 2000, 20, footageSize);
  for (const s of seconds.slice(4)) {
    assert(s.p95 < 100 && s.fps >= 25, JSON.stringify(seconds));
  }
  const rung = rc.rungs[rc.rung]!;
  assertEquals([rung.width, rung.height, rung.fps], [320, 240, 30]);
  assert(rung.quality < 40, `q${rung.quality}`);
});

Deno.test({
  name: "real footage at 1 Mbit/s: 15 fps or more at 320x240, p95 under 150 ms",
  permissions: "none",
}, () => {
  // A 320x240 frame takes 50-70 ms to cross; waiting for each one's ACK
  // before sending the next would leave the link idle 40 ms a frame.
  const { seconds } = simulate(controller(), 12, () => 1000, 20, footageSize);
  for (const s of seconds.slice(5)) assert(s.p95 < 150 && s.fps >= 14, JSON.stringify(seconds));
});

Deno.test({
  name: "a frame larger than the pipe does not wait for the last one's ACK",
  permissions: "none",
}, () => {
  // 8 KB frames at 12 fps over 1 Mbit/s with 15 ms each way: each takes 64 ms
  // to cross, more than the pipe (rate × (min RTT + margin), about 6 KB).
  // Waiting for each one's ACK would leave the link idle 31 ms a frame:
  // about 10.5 fps; overlapping, all 12.
  const rc = controller({ ceiling: { ...CEILING, fps: 12 } });
  const { seconds } = simulate(rc, 10, () => 1000, 15, () => 8000);
  for (const s of seconds.slice(3)) assert(s.fps >= 11.5 && s.p95 < 200, JSON.stringify(seconds));
  assertEquals(rc.rung, 0, "8 KB at 12 fps fits 1 Mbit/s: no need to degrade");
});

Deno.test({
  name:
    "a link dead for 10 s lowers the target a few times, not to nothing; a new link starts over",
  permissions: "none",
}, () => {
  const { controller: rc } = simulate(controller(), 4, () => 2000);
  const before = rc.estimate().targetKbps!;
  const window = new AckWindow(MAX_FRAMES_IN_FLIGHT);
  const start = T0 + 100_000;
  window.next(7000, start);
  for (let t = start; t < start + 10_000; t += 50) rc.tick(t, window.oldestSentAt);
  const after = rc.estimate().targetKbps!;
  // Each overdue period twice as long as the last: about 5 in 10 s, not 50.
  assert(after >= before * 0.7 ** 7, `${before} -> ${after}`);
  assert(after <= before * 0.7 ** 3, `${before} -> ${after}`);
  rc.newLink();
  assertEquals(rc.setting(), rc.rungs[0], "a new connection starts at the ceiling");
  assertEquals(rc.estimate().targetKbps, null);
  assertEquals(rc.stalled, false);
});

Deno.test({
  name: "without adaptation's budget the same link queues: the simulation can tell",
  permissions: "none",
}, () => {
  // The same simulation, sending every frame at the ceiling as captured:
  // the queue grows without bound, so the first test's figures are the
  // controller's doing, not the simulation's.
  const rc = controller();
  const seconds = simulate(
    new Proxy(rc, {
      get(target, key) {
        if (key === "maySend") return (window: AckWindow) => window.open;
        if (key === "setting") return () => target.rungs[0];
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
    6,
    () => 2000,
  ).seconds;
  assert(seconds.at(-1)!.p95 > 300, `unbounded queue expected: ${JSON.stringify(seconds)}`);
});

Deno.test({
  name:
    "a cap appearing mid-call: latency back under 100 ms within 2 s; lifting: the ceiling within 3 s",
  permissions: "none",
}, () => {
  const kbps = (t: number) => (t - T0 < 5000 || t - T0 >= 12_000 ? 20_000 : 2000);
  const { seconds } = simulate(controller(), 16, kbps);
  const at = (s: number) => seconds[s]!;
  assertEquals(at(4).rung, 0, `full quality on a fast link: ${JSON.stringify(seconds)}`);
  // The cap appears at 5 s: from 7 s on, every second's p95 is under 100 ms.
  for (let s = 7; s < 12; s++) {
    assert(at(s).p95 < 100, `second ${s}: ${JSON.stringify(seconds)}`);
  }
  for (let s = 5; s < 12; s++) assert(at(s).maxAge < 300, `second ${s}: ${JSON.stringify(at(s))}`);
  // The cap lifts at 12 s: by 15 s the ceiling is back.
  assertEquals(at(15).rung, 0, `back to the ceiling: ${JSON.stringify(seconds)}`);
  assert(at(15).fps >= 28, `${JSON.stringify(at(15))}`);
});

Deno.test({
  name: "1 Mbit/s keeps 15+ fps with p95 under 150 ms; 500 kbit/s goes on at the floor, bounded",
  permissions: "none",
}, () => {
  const one = simulate(controller(), 10, () => 1000).seconds.slice(4);
  for (const s of one) assert(s.fps >= 15 && s.p95 < 150, JSON.stringify(one));
  const half = simulate(controller(), 10, () => 500);
  for (const s of half.seconds.slice(4)) assert(s.fps >= 5 && s.p95 < 250, JSON.stringify(half));
  const floor = half.controller.rungs[half.controller.rung]!;
  assertEquals([floor.width, floor.height, floor.quality], [320, 240, 40], "at the floor");
  assert(floor.fps < 30, "and at a lower frame rate");
});

Deno.test({
  name: "--max-kbps caps the target even on a fast link",
  permissions: "none",
}, () => {
  const { controller: rc, seconds } = simulate(controller({ maxKbps: 1500 }), 8, () => 50_000);
  assert(rc.estimate().targetKbps! <= 1500, `${rc.estimate().targetKbps}`);
  assert(rc.estimate().degraded);
  const sentKbps = seconds.slice(3).map((s) => s.fps * trueSize(rc.rungs[s.rung]!) * 8 / 1000);
  for (const kbps of sentKbps) assert(kbps < 1500 * 1.1, `${sentKbps}`);
});

Deno.test({
  name: "a peer that never acknowledges gets one frame; the stall lowers the target",
  permissions: "none",
}, () => {
  const rc = controller();
  const window = new AckWindow(MAX_FRAMES_IN_FLIGHT);
  rc.produced(16_000, rc.setting());
  assert(rc.maySend(window));
  window.next(16_000, T0);
  for (let t = T0; t < T0 + 5000; t += 25) {
    rc.tick(t, window.oldestSentAt);
    assertEquals(rc.maySend(window), false, `at ${t - T0} ms`);
  }
  assert(rc.stalled);
  const target = rc.estimate().targetKbps!;
  assert(target < 16_000 * 8 * 30 / 1000, `the stall lowered the target: ${target}`);
});

Deno.test({
  name: "a peer that stops acknowledging mid-call: nothing more is sent once the ACK is overdue",
  permissions: "none",
}, () => {
  // Capacity and RTT known: a small frame in flight leaves the budget room.
  const { controller: rc } = simulate(controller(), 4, () => 20_000);
  const window = new AckWindow(MAX_FRAMES_IN_FLIGHT);
  const start = T0 + 10_000;
  window.next(1000, start);
  rc.tick(start + 50, window.oldestSentAt);
  assert(rc.maySend(window), "room for another frame while the ACK is not yet late");
  let t = start + 50;
  while (!rc.stalled && t < start + 5000) rc.tick(t += 25, window.oldestSentAt);
  assert(rc.stalled, "the ACK is overdue");
  assertEquals(rc.maySend(window), false, "nothing more to a peer that went silent");
  for (; t < start + 60_000; t += 25) rc.tick(t, window.oldestSentAt);
  assert(rc.estimate().targetKbps! * 1000 >= MIN_TARGET_BPS, "never below the floor");
});

Deno.test({
  name: "absurd ACK timestamps are ignored and counted, and change nothing",
  permissions: "none",
}, () => {
  const { controller: rc } = simulate(controller(), 4, () => 2000);
  const before = JSON.stringify(rc.estimate());
  const clock: ClockView = { rttMs: 40, offsetMs: PEER_OFFSET };
  const sent = T0 + 10_000, arrival = sent + 60;
  const acked = { frames: 1, bytes: 7000, frameBytes: 7000, sentAt: sent };
  const peer = (x: number) => x + PEER_OFFSET;
  const good = { firstByte: peer(sent + 20), lastByte: peer(sent + 40), ackSent: peer(sent + 41) };
  const hostile = [
    { ...good, firstByte: Number.NaN },
    { ...good, lastByte: Number.POSITIVE_INFINITY },
    { ...good, firstByte: good.lastByte + 1 }, // first after last
    { ...good, ackSent: good.lastByte - 1 }, // acknowledged before the last byte
    { ...good, firstByte: peer(sent - 500) }, // arrived before it was sent (held too long)
    { firstByte: peer(sent - 100), lastByte: peer(sent - 99), ackSent: peer(sent - 98) }, // before it was sent, on the clock
    { firstByte: peer(sent + 500), lastByte: peer(sent + 501), ackSent: peer(sent + 502) }, // after the ACK came back
    { firstByte: -1e300, lastByte: -1e300, ackSent: -1e300 },
  ];
  for (const times of hostile) {
    assertEquals(rc.acked(acked, { ...times, arrival }, clock), false, JSON.stringify(times));
  }
  assertEquals(rc.ignored, hostile.length);
  assertEquals(JSON.stringify(rc.estimate()), before);
  assert(rc.acked(acked, { ...good, arrival }, clock), "the sensible one is used");
});

Deno.test({
  name: "before the heartbeat knows the peer's clock, ACK times teach nothing",
  permissions: "none",
}, () => {
  const rc = controller();
  const window = new AckWindow(MAX_FRAMES_IN_FLIGHT);
  rc.produced(16_000, rc.setting());
  window.next(16_000, T0);
  // Consistent with each other, absurd in value: usable only with a clock to check them.
  const times = { firstByte: -1e15, lastByte: -1e15, ackSent: -1e15, arrival: T0 + 50 };
  assert(rc.acked(window.acked(0)!, times, { rttMs: null, offsetMs: 0 }));
  assertEquals(rc.ignored, 0);
  assertEquals(rc.estimate().queueDelayMs, null);
  assertEquals(rc.estimate().capacityKbps, null);
  // Still one frame at a time: nothing is known.
  window.next(16_000, T0 + 60);
  assertEquals(rc.maySend(window), false);
});
