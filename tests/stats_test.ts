import {
  CallStats,
  formatStatsLine,
  LatencyHistogram,
  RateMeter,
  summarize,
} from "../src/stats.ts";
import { assert, assertEquals } from "./_assert.ts";

Deno.test({
  name: "LatencyHistogram.percentile() finds p50 and p95 within a bin",
  permissions: "none",
}, () => {
  const h = new LatencyHistogram();
  assertEquals(h.percentile(0.5), null);
  for (let i = 1; i <= 100; i++) h.add(i);
  assertEquals(h.count, 100);
  assert(Math.abs(h.percentile(0.5)! - 50) <= 0.2, `p50 ${h.percentile(0.5)}`);
  assert(Math.abs(h.percentile(0.95)! - 95) <= 0.2, `p95 ${h.percentile(0.95)}`);
  h.add(60_000); // beyond the last bin
  assertEquals(h.percentile(1), 60_000);
});

Deno.test({
  name: "LatencyHistogram.add() counts a negative sample (clocks a little apart) as 0 ms",
  permissions: "none",
}, () => {
  // Dropping it would leave p50 at 3.1, as would recording its magnitude (5 ms).
  const h = new LatencyHistogram();
  h.add(-5);
  h.add(3);
  assertEquals(h.count, 2);
  assertEquals([h.percentile(0.5), h.percentile(1)], [0.1, 3.1]);
});

Deno.test({ name: "LatencyHistogram.reset() forgets every sample", permissions: "none" }, () => {
  const h = new LatencyHistogram();
  for (const ms of [1, 2, 60_000]) h.add(ms);
  h.reset();
  assertEquals([h.count, h.percentile(0.5)], [0, null]);
  // Bins and the maximum are cleared too, not only the count: stale bins
  // would give p0 1.1, a stale maximum p100 60 000.
  h.add(50);
  h.add(20_000);
  assertEquals([h.percentile(0), h.percentile(1)], [50.1, 20_000]);
});

Deno.test({
  name: "RateMeter.sample() turns counter deltas into per-second rates",
  permissions: "none",
}, () => {
  const stats = new CallStats();
  const meter = new RateMeter(stats, 0);
  stats.framesSent = 30;
  stats.bytesSent = 125_000;
  stats.framesReceived = 15;
  stats.framesDecoded = 15;
  stats.recordLatency(1000, 1012);
  const line = meter.sample(2000, new Date(0));
  assertEquals([line.sent_fps, line.received_fps, line.sent_kbps], [15, 7.5, 500]);
  assertEquals(line.latency_ms_p50, 12.1);
  const next = meter.sample(3000, new Date(0));
  assertEquals([next.sent_fps, next.latency_ms_p50], [0, null]);
  assert(formatStatsLine(line).includes("sent 15.0 fps 500 kbit/s"));
});

// Catches a stats line that leaves out what is being sent, reads it from the
// wrong field (width for height, capacity for target), does not round the
// estimates, or turns "not known yet" (null) into 0.
Deno.test({
  name: "RateMeter.sample() reports what the sender sends and the rate estimates",
  permissions: "none",
}, () => {
  const stats = new CallStats();
  const meter = new RateMeter(stats, 0);
  const before = meter.sample(1000, new Date(0));
  assertEquals(
    [
      before.send_quality,
      before.send_width,
      before.send_height,
      before.send_fps,
      before.target_kbps,
      before.capacity_kbps,
      before.queue_delay_ms,
      before.degraded,
    ],
    [null, null, null, null, null, null, null, false],
    "nothing known before the first frame and the first estimate",
  );
  Object.assign(stats.sending, {
    quality: 62,
    width: 480,
    height: 360,
    fps: 15,
    targetKbps: 1234.5678,
    capacityKbps: 2000.004,
    queueDelayMs: 3.14159,
    degraded: true,
  });
  const line = meter.sample(2000, new Date(0));
  assertEquals(
    [
      line.send_quality,
      line.send_width,
      line.send_height,
      line.send_fps,
      line.target_kbps,
      line.capacity_kbps,
      line.queue_delay_ms,
      line.degraded,
    ],
    [62, 480, 360, 15, 1234.57, 2000, 3.14, true],
  );
  // JSON keeps the nulls (a consumer can tell "unknown" from 0).
  stats.sending.targetKbps = null;
  const json = JSON.parse(JSON.stringify(meter.sample(3000, new Date(0))));
  assert("target_kbps" in json && json.target_kbps === null, JSON.stringify(json));
});

Deno.test({
  name: "summarize() reports the totals the --stats json contract names",
  permissions: "none",
}, () => {
  const stats = new CallStats();
  stats.framesSent = 3;
  stats.droppedSending = 1;
  stats.droppedReceiving = 2;
  stats.recordLatency(0, 5);
  stats.degradedMs = 2345.6;
  stats.ackTimesIgnored = 7;
  const s = summarize(stats, { peer: "p", end: "done", durationMs: 1234 });
  for (
    const key of [
      "frames_sent",
      "frames_received",
      "frames_decoded",
      "frames_dropped",
      "decode_errors",
      "bytes_sent",
      "bytes_received",
      "latency_ms_p50",
      "latency_ms_p95",
      "degraded_s",
      "ack_times_ignored",
    ]
  ) assert(key in s, key);
  assertEquals([s.frames_dropped, s.duration_s, s.latency_ms_p50], [3, 1.23, 5.1]);
  // Time below the ceiling in seconds, and the ACKs whose times were ignored.
  assertEquals([s.degraded_s, s.ack_times_ignored], [2.35, 7]);
  const fresh = summarize(new CallStats(), { peer: null, end: "done", durationMs: 0 });
  assertEquals([fresh.degraded_s, fresh.ack_times_ignored], [0, 0]);
});

// Catches a text line that hides what is sent while degraded, shows it when
// not degraded, prints "q0" for stored bytes, or prints estimates not known yet.
Deno.test(
  { name: "the text stats line says what is sent while degraded", permissions: "none" },
  () => {
    const stats = new CallStats();
    const meter = new RateMeter(stats, 0);
    Object.assign(stats.sending, {
      quality: 55,
      width: 480,
      height: 360,
      fps: 30,
      targetKbps: 1800.4,
      capacityKbps: 2100.6,
      queueDelayMs: 3.25,
      degraded: true,
    });
    const text = formatStatsLine(meter.sample(1000, new Date(0)));
    assert(
      text.endsWith(
        "| sending q55 480x360 30 fps, target 1800 kbit/s, capacity 2101 kbit/s, queue 3.3 ms",
      ),
      text,
    );
    stats.sending.degraded = false;
    stats.sending.quality = 0;
    const full = formatStatsLine(meter.sample(2000, new Date(0)));
    assert(!full.includes("sending"), full);
    assert(full.includes("target 1800 kbit/s"), full);
    stats.sending.degraded = true;
    const stored = formatStatsLine(meter.sample(3000, new Date(0)));
    assert(stored.includes("sending as stored 480x360"), stored);
    Object.assign(stats.sending, { targetKbps: null, capacityKbps: null, queueDelayMs: null });
    stats.sending.degraded = false;
    const unknown = formatStatsLine(meter.sample(4000, new Date(0)));
    assert(unknown.endsWith("ms"), unknown);
    assert(!/target|capacity|queue/.test(unknown), unknown);
  },
);
