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
