import { CallLimits } from "../src/call/limits.ts";
import { assert, assertEquals } from "./_assert.ts";

Deno.test(
  { name: "CallLimits without limits on either side is never done", permissions: "none" },
  () => {
    const l = new CallLimits({});
    assertEquals(l.update(1e9, 1e9), false);
    assertEquals(l.done, false);
  },
);

Deno.test({
  name: "CallLimits is satisfied by --frames once, then done without a peer limit",
  permissions: "none",
}, () => {
  const l = new CallLimits({ frames: 10 });
  assert(l.countsFrames);
  assertEquals(l.update(9, 100), false, "--frames ignores time");
  assertEquals(l.done, false);
  assertEquals(l.update(10, 0), true, "satisfied now: tell the peer");
  assertEquals(l.update(11, 0), false, "only once");
  assertEquals(l.countsFrames, false);
  assert(l.done);
});

Deno.test({ name: "CallLimits is satisfied by --duration", permissions: "none" }, () => {
  const l = new CallLimits({ duration: 2 });
  assertEquals(l.update(1000, 1.99), false);
  assertEquals(l.update(0, 2), true);
});

Deno.test({ name: "CallLimits waits for a limited peer's SATISFIED", permissions: "none" }, () => {
  const l = new CallLimits({ frames: 1 });
  l.peerLimited = true;
  l.update(1, 0);
  assertEquals(l.done, false, "the peer is not satisfied yet");
  l.peerSatisfied = true;
  assert(l.done);
  l.resetPeer(); // a new connection: the peer says it again
  assertEquals(l.done, false);
});

Deno.test({
  name: "CallLimits without a limit of its own ends when the limited peer is satisfied",
  permissions: "none",
}, () => {
  const l = new CallLimits({});
  l.peerLimited = true;
  assertEquals(l.done, false);
  l.peerSatisfied = true;
  assert(l.done);
});
