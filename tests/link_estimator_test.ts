import {
  CAPACITY_MAX_AGE_MS,
  type ClockView,
  LinkEstimator,
  SEGMENT_BYTES,
  WindowedMin,
} from "../src/send/link_estimator.ts";
import { assert, assertEquals } from "./_assert.ts";

const T0 = 1_700_000_000_000;
const OFFSET = -777.25; // the peer's clock runs behind this one
const CLOCK: ClockView = { rttMs: 40, offsetMs: OFFSET };

/**
 * One frame of `bytes` sent at `sent` over a link of `kbps` with `delay` ms
 * each way and `queued` ms of queue before it; acknowledged 1 ms after its
 * last byte.
 */
function frame(
  link: LinkEstimator,
  sent: number,
  bytes: number,
  kbps: number,
  options: { delay?: number; queued?: number; clock?: ClockView } = {},
) {
  const { delay = 20, queued = 0, clock = CLOCK } = options;
  const ms = (b: number) => b * 8 / kbps; // kbit/s: bits per ms
  const first = sent + queued + delay + ms(Math.min(bytes, SEGMENT_BYTES));
  const last = sent + queued + delay + ms(bytes);
  const peer = (t: number) => t + OFFSET;
  return link.take(
    { frames: 1, bytes, frameBytes: bytes, sentAt: sent },
    {
      firstByte: peer(first),
      lastByte: peer(last),
      ackSent: peer(last + 1),
      arrival: last + 1 + delay,
    },
    clock,
  );
}

Deno.test({
  name: "LinkEstimator: capacity from dispersion, min RTT without the frame's own crossing",
  permissions: "none",
}, () => {
  const link = new LinkEstimator();
  for (let i = 0; i < 10; i++) assertEquals(frame(link, T0 + i * 100, 10_000, 2000), "used");
  const capacity = link.capacity!;
  assert(Math.abs(capacity - 2_000_000) < 20_000, `capacity ${capacity}`);
  // 40 ms of propagation, the first segment's 5.8 ms, the 1 ms hold taken away.
  assert(Math.abs(link.minRtt! - 45.8) < 0.5, `min RTT ${link.minRtt}`);
  assertEquals(link.queueDelay, 0);
  // The usual response: crossing and both delays, about 81 ms; four deviations on top.
  assert(link.expectedResponse! >= 80 && link.expectedResponse! < 200, `${link.expectedResponse}`);
});

Deno.test({
  name:
    "LinkEstimator: queueing delay is the least of the last three (a busy receiver is no queue)",
  permissions: "none",
}, () => {
  const link = new LinkEstimator();
  for (let i = 0; i < 5; i++) frame(link, T0 + i * 100, 10_000, 2000);
  // One frame delayed 60 ms at the receiver: not a queue.
  frame(link, T0 + 500, 10_000, 2000, { queued: 60 });
  assertEquals(link.queueDelay, 0);
  // A standing queue: every frame 50 ms late.
  for (let i = 6; i < 9; i++) frame(link, T0 + i * 100, 10_000, 2000, { queued: 50 });
  assert(Math.abs(link.queueDelay! - 50) < 1e-6, `${link.queueDelay}`);
});

Deno.test({
  name:
    "LinkEstimator: a cap shows after two frames; small frames give no capacity; old samples expire",
  permissions: "none",
}, () => {
  const link = new LinkEstimator();
  for (let i = 0; i < 7; i++) frame(link, T0 + i * 100, 20_000, 20_000);
  assert(link.capacity! > 15_000_000);
  frame(link, T0 + 700, 20_000, 2000);
  assert(link.capacity! > 15_000_000, "one slow frame is not a cap");
  frame(link, T0 + 900, 20_000, 2000);
  assert(link.capacity! < 2_500_000, `two agree: ${link.capacity}`);
  // Frames of two segments or less teach nothing about capacity...
  for (let i = 0; i < 30; i++) frame(link, T0 + 1000 + i * 100, 2 * SEGMENT_BYTES, 50_000);
  assert(link.capacity! < 2_500_000, "still the capped estimate");
  // ...and after CAPACITY_MAX_AGE_MS the capped estimate is forgotten (the cap may have lifted).
  for (let t = 0; t <= CAPACITY_MAX_AGE_MS; t += 100) {
    frame(link, T0 + 4000 + t, 2 * SEGMENT_BYTES, 50_000);
  }
  assertEquals(link.capacity, undefined);
  assert(link.deliveryRate()! > 0, "the delivery rate is known meanwhile");
});

Deno.test({
  name:
    "LinkEstimator: absurd times are refused before anything is learned; none used before the clock",
  permissions: "none",
}, () => {
  const link = new LinkEstimator();
  const sent = T0, arrival = T0 + 60;
  const acked = { frames: 1, bytes: 7000, frameBytes: 7000, sentAt: sent };
  const p = (t: number) => t + OFFSET;
  const good = { firstByte: p(sent + 20), lastByte: p(sent + 40), ackSent: p(sent + 41), arrival };
  const verdict = (times: typeof good, clock = CLOCK) => link.take(acked, times, clock);
  assertEquals(verdict({ ...good, firstByte: Number.NaN }), "absurd");
  assertEquals(verdict({ ...good, lastByte: good.firstByte - 1 }), "absurd");
  assertEquals(verdict({ ...good, ackSent: good.lastByte - 1 }), "absurd");
  assertEquals(
    verdict({ ...good, firstByte: p(sent - 200) }),
    "absurd",
    "held longer than the trip",
  );
  // Clock-free checks apply before the clock is known too...
  assertEquals(verdict({ ...good, firstByte: Number.NaN }, { rttMs: null, offsetMs: 0 }), "absurd");
  // ...but times that pass them are not used until it is.
  assertEquals(verdict(good, { rttMs: null, offsetMs: 0 }), "unchecked");
  assertEquals(link.queueDelay, null);
  // On the clock: arrived 100 ms before it was sent; acknowledged 100 ms after the ACK came back.
  const shifted = (d: number) => ({
    firstByte: good.firstByte + d,
    lastByte: good.lastByte + d,
    ackSent: good.ackSent + d,
    arrival,
  });
  assertEquals(verdict(shifted(-120)), "absurd");
  assertEquals(verdict(shifted(+120)), "absurd");
  assertEquals(link.capacity, undefined, "nothing learned from any of them");
  assertEquals(verdict(good), "used");
  assert(link.capacity! > 0);
});

Deno.test({ name: "LinkEstimator.reset() forgets the link", permissions: "none" }, () => {
  const link = new LinkEstimator();
  for (let i = 0; i < 5; i++) frame(link, T0 + i * 100, 10_000, 2000);
  link.reset();
  assertEquals(
    [link.capacity, link.queueDelay, link.minRtt, link.expectedResponse, link.deliveryRate()],
    [undefined, null, undefined, undefined, undefined],
  );
});

Deno.test(
  { name: "WindowedMin remembers the minimum for its window only", permissions: "none" },
  () => {
    const min = new WindowedMin(1000, 4);
    min.add(0, 50);
    min.add(100, 10);
    min.add(600, 30);
    assertEquals(min.get(700), 10);
    min.add(1300, 40);
    assertEquals(min.get(1300), 30, "the 10 at 100 ms is more than a window old");
    assertEquals(min.get(5000), undefined);
    for (let t = 2000; t < 100_000; t += 10) min.add(t, t); // fixed memory, whatever the count
    assertEquals(min.get(100_000), 99_000);
  },
);
