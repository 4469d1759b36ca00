import { asciiOnly, HUD_INTRO_MS, hudLines, hudVisible } from "../src/view/hud.ts";
import type { StatsLine } from "../src/stats.ts";
import { assertEquals, assertMatch } from "./_assert.ts";

const stats = {
  received_fps: 29.97,
  latency_ms_p95: 12.345,
  sent_kbps: 2345.6,
  received_kbps: 1999.4,
} as StatsLine;

Deno.test({
  name: "hudLines() reports peer, security, phase, fps, p95 and kbit/s each way",
  permissions: "none",
}, () => {
  const lines = hudLines({
    peerName: "Bob",
    secure: true,
    phase: "connected",
    stats,
    paused: false,
  });
  assertEquals(lines, [
    "Bob | encrypted | connected",
    "received 30.0 fps | latency p95 12.3 ms",
    "kbit/s: up 2346 | down 1999",
  ]);
});

Deno.test({
  name: "hudLines() before the peer is known and before stats, and while paused",
  permissions: "none",
}, () => {
  const lines = hudLines({
    peerName: null,
    secure: null,
    phase: "connecting",
    stats: null,
    paused: true,
  });
  assertEquals(lines[0], "waiting for the peer | connecting");
  assertMatch(lines.at(-1)!, /paused/);
  assertEquals(lines.length, 2);
  const noLatency = hudLines({
    peerName: "Bob",
    secure: false,
    phase: "reconnecting",
    stats: { ...stats, latency_ms_p95: null },
    paused: false,
  });
  assertMatch(noLatency[0]!, /not encrypted \| reconnecting/);
  assertMatch(noLatency[1]!, /p95 -$/);
});

Deno.test(
  { name: "hudLines() draws a non-ASCII name with placeholders", permissions: "none" },
  () => {
    assertEquals(
      hudLines({
        peerName: "Zoë 😀",
        secure: true,
        phase: "connected",
        stats: null,
        paused: false,
      })[0],
      "Zo? ?? | encrypted | connected",
    );
    assertEquals(asciiOnly("a\u0007b"), "a?b");
  },
);

/** Stats of a side that sends below its ceiling. */
const degraded = {
  ...stats,
  send_quality: 52,
  send_width: 480,
  send_height: 360,
  send_fps: 15,
  target_kbps: 1800.4,
  capacity_kbps: 2100,
  queue_delay_ms: 40,
  degraded: true,
} as StatsLine;

const connected = { peerName: "Bob", secure: true, phase: "connected" as const, paused: false };

Deno.test({
  name: "hudLines() while degraded adds what is sent: quality, size, rate and target",
  permissions: "none",
}, () => {
  assertEquals(hudLines({ ...connected, stats: degraded }), [
    "Bob | encrypted | connected",
    "received 30.0 fps | latency p95 12.3 ms",
    "kbit/s: up 2346 | down 1999",
    "sending q52 480x360 15 fps | target 1800 kbit/s",
  ]);
});

Deno.test({
  name: "hudLines() adds no sending line when not degraded, whatever the send fields say",
  permissions: "none",
}, () => {
  const lines = hudLines({ ...connected, stats: { ...degraded, degraded: false } });
  assertEquals(lines.length, 3);
  assertEquals(lines.filter((l) => l.startsWith("sending")), []);
});

Deno.test({
  name: "hudLines() says quality 0 is as stored, fps 0 the source's rate; no target without one",
  permissions: "none",
}, () => {
  const stored = hudLines({ ...connected, stats: { ...degraded, send_quality: 0 } });
  assertEquals(stored.at(-1), "sending as stored 480x360 15 fps | target 1800 kbit/s");
  const unadapted = hudLines({
    ...connected,
    stats: { ...degraded, send_fps: 0, send_quality: 80, target_kbps: null },
  });
  assertEquals(unadapted.at(-1), "sending q80 480x360 source fps");
  const fractional = hudLines({ ...connected, stats: { ...degraded, send_fps: 7.5 } });
  assertEquals(fractional.at(-1), "sending q52 480x360 7.5 fps | target 1800 kbit/s");
});

Deno.test({
  name: "hudLines() notes the peer's frame size while it is smaller than the window",
  permissions: "none",
}, () => {
  const smaller = hudLines({ ...connected, stats, received: { width: 320, height: 240 } });
  assertEquals(smaller.at(-1), "receiving 320x240");
  assertEquals(smaller.length, 4);
  assertEquals(hudLines({ ...connected, stats, received: null }).length, 3);
  // Both notes, and the paused line last.
  assertEquals(
    hudLines({
      ...connected,
      paused: true,
      stats: degraded,
      received: { width: 480, height: 360 },
    }).slice(3),
    [
      "sending q52 480x360 15 fps | target 1800 kbit/s",
      "receiving 480x360",
      "your video is paused (v to resume)",
    ],
  );
});

Deno.test({
  name: "hudVisible(): on for the first seconds, when reconnecting or degraded, else off",
  permissions: "none",
}, () => {
  const base = { now: 0, callStart: 0, phase: "connected" as const, degraded: false, choice: null };
  assertEquals(hudVisible({ ...base, callStart: null }), false, "no call yet");
  assertEquals(hudVisible({ ...base, now: HUD_INTRO_MS - 1 }), true);
  assertEquals(hudVisible({ ...base, now: HUD_INTRO_MS }), false);
  assertEquals(hudVisible({ ...base, now: 1e6, phase: "reconnecting" }), true);
  assertEquals(hudVisible({ ...base, now: 1e6, degraded: true }), true);
});

Deno.test({ name: "hudVisible(): the user's choice with i wins", permissions: "none" }, () => {
  const base = { now: 1e6, callStart: 0, phase: "reconnecting" as const, degraded: true };
  assertEquals(hudVisible({ ...base, choice: false }), false);
  assertEquals(
    hudVisible({ ...base, now: 0, phase: "connected", degraded: false, choice: true }),
    true,
  );
});
