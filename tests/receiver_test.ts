import { ProtocolError } from "../src/errors.ts";
import { Latest } from "../src/latest.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { ByeReason, HEADER_SIZE, MessageType } from "../src/net/protocol.ts";
import { Packet } from "../src/packet.ts";
import { Receiver, type ReceiverHandlers } from "../src/receive/receiver.ts";
import { CallStats } from "../src/stats.ts";
import { assert, assertEquals } from "./_assert.ts";
import { RecordingSink } from "./_bytes.ts";
import { fakeLink, messages } from "./_links.ts";

async function wire(write: (w: MessageWriter) => Promise<void>): Promise<Uint8Array> {
  const sink = new RecordingSink();
  await write(new MessageWriter(sink));
  return sink.bytes();
}

function recorder() {
  const calls: string[] = [];
  const handlers: ReceiverHandlers = {
    frame: (t) => calls.push(`frame ${t}`),
    ack: (_l, seq) => calls.push(`ack ${seq}`),
    pong: (t1, t2, t3, t4) => calls.push(`pong ${t1} ${t2} ${t3} ${t4 > 0}`),
    satisfied: () => calls.push("satisfied"),
    video: (paused) => calls.push(`video ${paused ? "paused" : "resumed"}`),
    bye: (reason, text) => calls.push(`bye ${reason} ${new TextDecoder().decode(text)}`),
    closed: () => calls.push("closed"),
    failed: (_l, e) => calls.push(`failed ${(e as Error).name}: ${(e as Error).message}`),
  };
  return { calls, handlers };
}

Deno.test(
  { name: "Receiver sorts every message type of a call", permissions: "none" },
  async () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    const frame = new Uint8Array(HEADER_SIZE + jpeg.length);
    frame.set(jpeg, HEADER_SIZE);
    const bytes = await wire(async (w) => {
      await w.writeEmpty(MessageType.PING);
      await w.writeFrame(frame, jpeg.length, 41, 1234.5);
      await w.writeEmpty(MessageType.ACK, 7);
      await w.writePong(10, 20);
      await w.writeEmpty(MessageType.SATISFIED);
      await w.writeEmpty(MessageType.PAUSED);
      await w.writeEmpty(MessageType.RESUMED);
      await w.writeBye(ByeReason.ERROR, "disk on fire");
    });
    const box = new Latest([0, 1, 2].map(() => new Packet(4)));
    const stats = new CallStats();
    const { calls, handlers } = recorder();
    const { link, sink } = fakeLink([bytes]);
    await new Receiver(box, stats, handlers).read(link);
    assertEquals(calls.slice(0, 2), ["frame 1234.5", "ack 7"]);
    assert(/^pong 10 20 \d+(\.\d+)? true$/.test(calls[2]!), calls[2]);
    assertEquals(calls.slice(3), [
      "satisfied",
      "video paused",
      "video resumed",
      "bye 2 disk on fire",
      "closed",
    ]);
    // The ping was answered on the same link.
    assertEquals(messages(sink.bytes()).map((m) => m.type), [MessageType.PONG]);
    // The frame is in the slot, with its bytes (the packet grew to fit), seq and link.
    const packet = (await box.take())!;
    assertEquals(Array.from(packet.payload.subarray(0, packet.length)), Array.from(jpeg));
    assertEquals(packet.seq, 41);
    assert(packet.from === link);
    assertEquals(stats.framesReceived, 1);
    assertEquals(stats.bytesReceived, HEADER_SIZE + jpeg.length);
  },
);

Deno.test({
  name: "Receiver fails a link that sends a key confirmation mid-call",
  permissions: "none",
}, async () => {
  const bytes = await wire((w) => w.writeConfirm(new Uint8Array(32)));
  const { calls, handlers } = recorder();
  const { link } = fakeLink([bytes]);
  const box = new Latest([0, 1, 2].map(() => new Packet(4)));
  await new Receiver(box, new CallStats(), handlers).read(link);
  assertEquals(calls, [
    `failed ${ProtocolError.name}: Unexpected key confirmation in the middle of a call`,
  ]);
});

Deno.test({
  name: "Receiver fails a link whose frame is cut short, and keeps its buffers",
  permissions: "none",
}, async () => {
  const frame = new Uint8Array(HEADER_SIZE + 100);
  const bytes = await wire((w) => w.writeFrame(frame, 100, 0, 0));
  const { calls, handlers } = recorder();
  const { link } = fakeLink([bytes.subarray(0, HEADER_SIZE + 10)]);
  const box = new Latest([0, 1, 2].map(() => new Packet(4)));
  await new Receiver(box, new CallStats(), handlers).read(link);
  assertEquals(calls.length, 1);
  assert(calls[0]!.startsWith("failed ProtocolError"), calls[0]);
  // All three buffers are free again: none leaked by the failed read.
  box.acquire();
  box.acquire();
  box.acquire();
});

Deno.test({
  name: "PeerLink.ack() writes one acknowledgement at a time, always the newest",
  permissions: "none",
}, async () => {
  const sink = new RecordingSink();
  const { link } = fakeLink([], sink);
  link.ack(1);
  link.ack(2);
  link.ack(3); // 2 is superseded while 1 is being written
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals(messages(sink.bytes()).map((m) => m.seq), [1, 3]);
});
