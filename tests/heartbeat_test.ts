import { DEAD_AFTER_MS, Heartbeat } from "../src/net/heartbeat.ts";
import type { PeerLink } from "../src/net/peer_link.ts";
import { MessageType } from "../src/net/protocol.ts";
import { assertEquals } from "./_assert.ts";
import { fakeLink, messages } from "./_links.ts";

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test({ name: "Heartbeat.tick() pings every live link", permissions: "none" }, async () => {
  const a = fakeLink(), b = fakeLink();
  const dead: PeerLink[] = [];
  const beat = new Heartbeat({ links: () => [a.link, b.link], onDead: (l) => dead.push(l) });
  beat.tick(DEAD_AFTER_MS); // last heard at 0: exactly at the limit is still alive
  await settle();
  assertEquals(dead.length, 0);
  for (const { sink } of [a, b]) {
    assertEquals(messages(sink.bytes()).map((m) => m.type), [MessageType.PING]);
  }
});

Deno.test({
  name: "Heartbeat.tick() reports a link silent for longer than DEAD_AFTER_MS, once per beat",
  permissions: "none",
}, async () => {
  const a = fakeLink(), b = fakeLink();
  a.link.lastHeard = 1000;
  b.link.lastHeard = 0;
  const dead: string[] = [];
  const beat = new Heartbeat({
    links: () => [a.link, b.link],
    onDead: (l, e) => dead.push(`${l === b.link ? "b" : "a"}: ${e.message}`),
  });
  beat.tick(DEAD_AFTER_MS + 1);
  await settle();
  assertEquals(dead, [`b: nothing from the peer for ${DEAD_AFTER_MS / 1000} s`]);
  // Reporting stops the beat: the call replaces every link, so none is pinged.
  assertEquals(messages(b.sink.bytes()).length, 0);
});

Deno.test({ name: "Heartbeat.reset() forgets the clock", permissions: "none" }, () => {
  const beat = new Heartbeat({ links: () => [], onDead: () => {} });
  beat.clock.add(0, 510, 510, 20);
  assertEquals(beat.clock.rttMs, 20);
  beat.reset();
  assertEquals(beat.clock.rttMs, null);
});
