import { ClockEstimator } from "../src/net/clock.ts";
import { assertEquals } from "./_assert.ts";

Deno.test("ClockEstimator finds the offset and RTT of a peer whose clock is ahead", () => {
  const c = new ClockEstimator();
  assertEquals([c.rttMs, c.offsetMs], [null, 0]);
  // Peer 500 ms ahead, 10 ms each way, 1 ms to answer.
  c.add(1000, 1510, 1511, 1021);
  assertEquals([c.rttMs, c.offsetMs], [20, 500]);
  assertEquals(c.toLocal(2000), 1500);
});

Deno.test("ClockEstimator trusts the exchange with the smallest RTT", () => {
  const c = new ClockEstimator();
  c.add(0, 505, 505, 10); // 5 ms each way: offset 500
  c.add(100, 700, 700, 300); // queued 100 ms one way: a skewed offset
  assertEquals(c.rttMs, 200);
  assertEquals(c.offsetMs, 500);
  c.reset();
  assertEquals(c.rttMs, null);
});
