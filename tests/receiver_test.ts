import { ProtocolError } from "../src/errors.ts";
import { Latest } from "../src/latest.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import {
  ACK_SIZE,
  type AckTimes,
  ByeReason,
  HEADER_SIZE,
  MessageType,
  now,
  writeHeader,
} from "../src/net/protocol.ts";
import { Packet } from "../src/packet.ts";
import { Receiver, type ReceiverHandlers } from "../src/receive/receiver.ts";
import { CallStats } from "../src/stats.ts";
import { assert, assertEquals } from "./_assert.ts";
import { ChunkSource, concat, RecordingSink } from "./_bytes.ts";
import { fakeLink, messages } from "./_links.ts";

async function wire(write: (w: MessageWriter) => Promise<void>): Promise<Uint8Array> {
  const sink = new RecordingSink();
  await write(new MessageWriter(sink));
  return sink.bytes();
}

function recorder() {
  const calls: string[] = [];
  // Copies: the receiver may reuse its times object from ACK to ACK.
  const acks: Array<{ seq: number } & AckTimes> = [];
  const handlers: ReceiverHandlers = {
    frame: (t) => calls.push(`frame ${t}`),
    ack: (_l, seq, times) => {
      calls.push(`ack ${seq} ${times.firstByte} ${times.lastByte}`);
      acks.push({ seq, ...times });
    },
    pong: (t1, t2, t3, t4) => calls.push(`pong ${t1} ${t2} ${t3} ${t4 > 0}`),
    satisfied: () => calls.push("satisfied"),
    video: (paused) => calls.push(`video ${paused ? "paused" : "resumed"}`),
    bye: (reason, text) => calls.push(`bye ${reason} ${new TextDecoder().decode(text)}`),
    closed: () => calls.push("closed"),
    failed: (_l, e) => calls.push(`failed ${(e as Error).name}: ${(e as Error).message}`),
  };
  return { calls, acks, handlers };
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
      await w.writeAck(7, 111.5, 222.25);
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
    const before = now();
    await new Receiver(box, stats, handlers).read(link);
    const after = now();
    assertEquals(calls.slice(0, 2), ["frame 1234.5", "ack 7 111.5 222.25"]);
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
    // When its first and last bytes arrived, on this clock: what its ACK will carry.
    assert(
      before <= packet.firstByteTime && packet.firstByteTime <= packet.lastByteTime &&
        packet.lastByteTime <= after,
      `${before} ${packet.firstByteTime} ${packet.lastByteTime} ${after}`,
    );
    assertEquals(stats.framesReceived, 1);
    assertEquals(stats.bytesReceived, HEADER_SIZE + jpeg.length);
  },
);

// An ACK written by hand: `timestamp` is its send time on the peer's clock.
function rawAck(seq: number, timestamp: number, firstByte: number, lastByte: number): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE + ACK_SIZE);
  const view = new DataView(buf.buffer);
  writeHeader(view, 0, { length: ACK_SIZE, type: MessageType.ACK, seq, timestamp });
  view.setFloat64(HEADER_SIZE, firstByte);
  view.setFloat64(HEADER_SIZE + 8, lastByte);
  return buf;
}

// Catches a receiver that swaps the two times, reads them from the wrong
// offset (the header's timestamp or a stale buffer), passes its arrival
// time as the ACK's send time (or the reverse), or cleans up or drops
// hostile values itself (the sender must see them to count them).
Deno.test({
  name: "Receiver hands each ACK's times to the handler as sent, absurd ones too",
  permissions: "none",
}, async () => {
  const sent: Array<[number, number, number, number]> = [
    [5, 1700000000999.875, 1700000000123.0625, 1700000000130.5],
    [6, 1700000001000.125, Number.NaN, Number.POSITIVE_INFINITY],
    [0xffffffff, -1e308, 1e308, -0],
    [7, Number.NaN, 1700000000200, 1700000000100], // first after last
  ];
  const bytes = concat(sent.map(([seq, ts, f, l]) => rawAck(seq, ts, f, l)));
  const { calls, acks, handlers } = recorder();
  // One byte at a time: each payload arrives in pieces after its header.
  const { link } = fakeLink(Array.from(bytes, (b) => new Uint8Array([b])));
  const before = now();
  await new Receiver(new Latest([0, 1, 2].map(() => new Packet(4))), new CallStats(), handlers)
    .read(link);
  const after = now();
  assertEquals(calls.at(-1), "closed");
  assertEquals(acks.length, sent.length);
  for (const [i, [seq, ts, f, l]] of sent.entries()) {
    const got = acks[i]!;
    assertEquals(got.seq, seq);
    assert(Object.is(got.ackSent, ts), `ACK ${i}: sent at ${got.ackSent}, expected ${ts}`);
    assert(Object.is(got.firstByte, f), `ACK ${i}: first byte ${got.firstByte}, expected ${f}`);
    assert(Object.is(got.lastByte, l), `ACK ${i}: last byte ${got.lastByte}, expected ${l}`);
    assert(before <= got.arrival && got.arrival <= after, `ACK ${i}: arrival ${got.arrival}`);
  }
  assert(acks.every((a, i) => i === 0 || a.arrival >= acks[i - 1]!.arrival), "arrivals in order");
});

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
  link.ack(1, 100.5, 101.5);
  link.ack(2, 200.5, 201.5);
  link.ack(3, 300.5, 301.5); // 2 is superseded while 1 is being written
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals(messages(sink.bytes()).map((m) => m.seq), [1, 3]);
  // Each ACK carries its own frame's times: the coalesced one the newest
  // frame's (catches a link that keeps the newest seq but sends the times
  // of the first or the superseded call).
  assertEquals(await acksWritten(sink), [[1, 100.5, 101.5], [3, 300.5, 301.5]]);
  // Once idle, the next ACK goes out at once with its own times.
  link.ack(4, 400.25, 400.75);
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  assertEquals((await acksWritten(sink)).at(-1), [4, 400.25, 400.75]);
});

// The ACKs in what `sink` recorded: [seq, first byte, last byte].
async function acksWritten(sink: RecordingSink): Promise<number[][]> {
  const reader = new MessageReader(new ChunkSource([sink.bytes()]));
  const out = [];
  for (let m; (m = await reader.readMessage()) !== null;) {
    if (m.type !== MessageType.ACK) continue;
    const view = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
    out.push([m.seq, view.getFloat64(0), view.getFloat64(8)]);
  }
  return out;
}
