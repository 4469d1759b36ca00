import { AckWindow, MAX_IN_FLIGHT } from "../src/send/ack_window.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test({
  name: "AckWindow closes after limit frames and reopens on an ack",
  permissions: "none",
}, () => {
  const w = new AckWindow();
  const sent: number[] = [];
  while (w.open) sent.push(w.next());
  assertEquals(sent, [0, 1, 2].slice(0, MAX_IN_FLIGHT));
  assertEquals(w.inFlight, MAX_IN_FLIGHT);
  assert(w.acked(sent[0]!));
  assertEquals(w.inFlight, MAX_IN_FLIGHT - 1);
  assert(w.open);
});

Deno.test({ name: "AckWindow.acked() is cumulative", permissions: "none" }, () => {
  const w = new AckWindow(5);
  for (let i = 0; i < 4; i++) w.next();
  assert(w.acked(2));
  assertEquals(w.inFlight, 1);
});

Deno.test({
  name: "AckWindow.acked() ignores frames never sent or already acknowledged",
  permissions: "none",
}, () => {
  const w = new AckWindow(3);
  w.next();
  w.next(); // 0 and 1 in flight
  assertEquals(w.acked(7), false, "a frame not sent yet");
  assertEquals(w.inFlight, 2);
  assert(w.acked(0));
  assertEquals(w.acked(0), false, "acknowledged twice");
  assertEquals(w.acked(0xffffffff), false, "the frame before the first");
  assertEquals(w.inFlight, 1);
});

Deno.test({ name: "AckWindow wraps sequence numbers at 2^32", permissions: "none" }, () => {
  const w = new AckWindow(3, 0xfffffffe);
  assertEquals([w.next(), w.next(), w.next()], [0xfffffffe, 0xffffffff, 0]);
  assertEquals(w.open, false);
  assert(w.acked(0xffffffff));
  assertEquals(w.inFlight, 1);
  assertEquals(w.acked(0xfffffffe), false, "older than the last acknowledgement");
  assert(w.acked(0));
  assertEquals(w.inFlight, 0);
});

Deno.test({ name: "AckWindow rejects a limit below 1", permissions: "none" }, () => {
  assertThrows(() => new AckWindow(0), RangeError, "at least 1");
});
