import { CLOCK_WINDOW, ClockEstimator } from "../src/net/clock.ts";
import { assertEquals } from "./_assert.ts";

Deno.test({
  name: "ClockEstimator finds the offset and RTT of a peer whose clock is ahead",
  permissions: "none",
}, () => {
  const c = new ClockEstimator();
  assertEquals([c.rttMs, c.offsetMs], [null, 0]);
  // Peer 500 ms ahead, 10 ms each way, 1 ms to answer.
  c.add(1000, 1510, 1511, 1021);
  assertEquals([c.rttMs, c.offsetMs], [20, 500]);
  assertEquals(c.toLocal(2000), 1500);
});

Deno.test({
  name: "ClockEstimator trusts the exchange with the smallest RTT in its window",
  permissions: "none",
}, () => {
  // The peer is 500 ms ahead. A quick exchange (5 ms each way) shows that; a
  // slow one whose PING was queued 100 ms, with a 5 ms return, shows 550 ms.
  const c = new ClockEstimator();
  const quick = (t: number) => c.add(t, t + 505, t + 505, t + 10);
  const queued = (t: number) => c.add(t, t + 605, t + 605, t + 110);
  queued(0);
  assertEquals([c.rttMs, c.offsetMs], [110, 550]);
  quick(1000);
  queued(2000);
  // Not the first's or the latest's offset (550), nor the mean (533.3).
  assertEquals([c.rttMs, c.offsetMs], [110, 500]);
  // Once the quick exchange leaves the window, a slow one is the best there
  // is (an estimator that kept the best of all time would stay at 500).
  for (let i = 1; i < CLOCK_WINDOW; i++) queued(2000 + i * 1000);
  assertEquals(c.offsetMs, 550);
  c.reset();
  assertEquals([c.rttMs, c.offsetMs], [null, 0]);
});
