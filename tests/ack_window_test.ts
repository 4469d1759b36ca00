import { AckWindow, MAX_IN_FLIGHT } from "../src/send/ack_window.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test({
  name: "AckWindow closes after limit frames and reopens on an ack",
  permissions: "none",
}, () => {
  const w = new AckWindow(MAX_IN_FLIGHT);
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
  assertEquals(w.acked(7), null, "a frame not sent yet");
  assertEquals(w.inFlight, 2);
  assert(w.acked(0));
  assertEquals(w.acked(0), null, "acknowledged twice");
  assertEquals(w.acked(0xffffffff), null, "the frame before the first");
  assertEquals(w.inFlight, 1);
});

Deno.test({ name: "AckWindow wraps sequence numbers at 2^32", permissions: "none" }, () => {
  const w = new AckWindow(3, 0xfffffffe);
  assertEquals([w.next(), w.next(), w.next()], [0xfffffffe, 0xffffffff, 0]);
  assertEquals(w.open, false);
  assert(w.acked(0xffffffff));
  assertEquals(w.inFlight, 1);
  assertEquals(w.acked(0xfffffffe), null, "older than the last acknowledgement");
  assert(w.acked(0));
  assertEquals(w.inFlight, 0);
});

Deno.test({ name: "AckWindow rejects a limit below 1", permissions: "none" }, () => {
  assertThrows(() => new AckWindow(0), RangeError, "1 to 1024");
});

Deno.test({
  name: "AckWindow counts bytes in flight and reports what an ack covered",
  permissions: "none",
}, () => {
  const w = new AckWindow(4);
  w.next(1000, 10);
  w.next(2000, 20);
  const third = w.next(4000, 30);
  assertEquals(w.bytesInFlight, 7000);
  assertEquals(w.oldestSentAt, 10);
  const first = w.acked(0);
  assertEquals({ ...first! }, { frames: 1, bytes: 1000, frameBytes: 1000, sentAt: 10 });
  assertEquals(w.bytesInFlight, 6000);
  assertEquals(w.oldestSentAt, 20);
  // Cumulative: the third covers the second too; its own size and send time are the third's.
  assertEquals({ ...w.acked(third)! }, { frames: 2, bytes: 6000, frameBytes: 4000, sentAt: 30 });
  assertEquals(w.bytesInFlight, 0);
  assertEquals(w.oldestSentAt, undefined);
});

Deno.test({
  name: "AckWindow keeps each frame's record across the 2^32 wrap and slot reuse",
  permissions: "none",
}, () => {
  // Limit 3 does not divide 2^32: indexing slots by sequence number would
  // put 0xffffffff and 0 in the same slot.
  const w = new AckWindow(3, 0xfffffffe);
  // Two frames in flight at every ack, so 0xffffffff and 0 are in flight together.
  const sent = [w.next(100, 0)];
  for (let n = 1; n < 8; n++) {
    sent.push(w.next(100 + n, n));
    const seq = sent[n - 1]!;
    assertEquals({ ...w.acked(seq)! }, {
      frames: 1,
      bytes: 100 + n - 1,
      frameBytes: 100 + n - 1,
      sentAt: n - 1,
    }, `frame ${seq.toString(16)}`);
  }
  assertEquals(w.acked(sent.at(-1)!)!.frameBytes, 107);
  assertEquals(w.bytesInFlight, 0);
});

Deno.test({ name: "AckWindow.next() refuses a frame over the limit", permissions: "none" }, () => {
  const w = new AckWindow(1);
  w.next(10, 0);
  assertThrows(() => w.next(10, 1), RangeError, "full");
});
