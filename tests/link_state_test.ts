import { LinkState } from "../src/net/link_state.ts";
import { assertEquals } from "./_assert.ts";

Deno.test({
  name: "LinkState: first connection, loss, reconnection, with times",
  permissions: "none",
}, () => {
  const s = new LinkState(60, 0);
  assertEquals(s.phase, "connecting");
  assertEquals(s.connected(100), null, "the first connection is not a reconnection");
  assertEquals(s.phase, "connected");
  assertEquals(s.lost("reset", 1000), { action: "reconnect", deadline: 61_000 });
  assertEquals(s.phase, "reconnecting");
  assertEquals(s.reason, "reset");
  assertEquals(s.since, 1000);
  assertEquals(s.connected(3500), 2500, "away for 2.5 s");
  assertEquals(s.reconnects, 1);
  assertEquals(s.phase, "connected");
});

Deno.test(
  { name: "LinkState ignores losses while reconnecting or ended", permissions: "none" },
  () => {
    const s = new LinkState(60, 0);
    s.connected(0);
    s.lost("first", 10);
    assertEquals(s.lost("second link of the same call", 11), { action: "ignore" });
    assertEquals(s.reason, "first");
    s.connected(20);
    s.end();
    assertEquals(s.lost("after the end", 30), { action: "ignore" });
    assertEquals(s.phase, "ended");
  },
);

Deno.test(
  { name: "LinkState gives up at once with --reconnect-timeout 0", permissions: "none" },
  () => {
    const s = new LinkState(0, 0);
    s.connected(0);
    assertEquals(s.lost("reset", 5), { action: "give-up" });
  },
);

Deno.test({ name: "LinkState before any connection ignores a loss", permissions: "none" }, () => {
  assertEquals(new LinkState(60, 0).lost("x", 1), { action: "ignore" });
});
