import { assert, assertEquals } from "./_assert.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { ProtocolError } from "../src/errors.ts";
import { ACK_SIZE, HEADER_SIZE, MAX_BYE_PAYLOAD, MessageType } from "../src/net/protocol.ts";
import { KeyPair } from "../src/net/secure.ts";
import { ChunkSource, RecordingSink } from "./_bytes.ts";

// An ACK payload's two float64s: first byte, last byte.
function ackTimes(payload: Uint8Array): [number, number] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return [view.getFloat64(0), view.getFloat64(8)];
}

Deno.test("MessageWriter.writeFrame() sends header and payload in one write", async () => {
  const sink = new RecordingSink();
  const writer = new MessageWriter(sink);
  const buf = new Uint8Array(HEADER_SIZE + 64);
  buf.fill(5, HEADER_SIZE);
  await writer.writeFrame(buf, 64, 1, 2);
  assertEquals(sink.writes.length, 1);
  assertEquals(sink.writes[0]!.length, HEADER_SIZE + 64);
});

Deno.test("MessageWriter never interleaves concurrent messages, even with partial writes", async () => {
  const sink = new RecordingSink(7);
  const writer = new MessageWriter(sink);
  const frames = Array.from({ length: 5 }, (_, i) => {
    const buf = new Uint8Array(HEADER_SIZE + 100);
    buf.fill(i + 1, HEADER_SIZE);
    return buf;
  });
  await Promise.all([
    ...frames.map((buf, i) => writer.writeFrame(buf, 100, i, 0)),
    writer.writeAck(9, 1700000000001.5, 1700000000002.25),
    writer.writeBye(0, "bye"),
  ]);
  const reader = new MessageReader(new ChunkSource([sink.bytes()]));
  const seen = [];
  for (let m; (m = await reader.readMessage()) !== null;) seen.push(m);
  assertEquals(seen.map((m) => m.type), [1, 1, 1, 1, 1, MessageType.ACK, MessageType.BYE]);
  seen.slice(0, 5).forEach((m, i) => assert(m.payload.every((b) => b === i + 1)));
  assertEquals(ackTimes(seen[5]!.payload), [1700000000001.5, 1700000000002.25]);
});

// The payload is filled from one reused buffer when the ACK's turn comes:
// catches a writer that fills it when writeAck() is called (the second
// call would overwrite the first's times while the first still waits behind
// the frame), and one that writes the times in the wrong order.
Deno.test("MessageWriter.writeAck() keeps each queued ACK's own times", async () => {
  const sink = new RecordingSink(5); // partial writes: the queue stays busy
  const writer = new MessageWriter(sink);
  const frame = new Uint8Array(HEADER_SIZE + 300);
  const times: Array<[number, number]> = [[1.25, 2.5], [1e12 + 0.125, 1e12 + 7.75], [-0, 0]];
  await Promise.all([
    writer.writeFrame(frame, 300, 0, 0),
    ...times.map(([f, l], i) => writer.writeAck(i, f, l)),
    writer.writeEmpty(MessageType.PING),
  ]);
  const reader = new MessageReader(new ChunkSource([sink.bytes()]));
  const acks = [];
  for (let m; (m = await reader.readMessage()) !== null;) {
    if (m.type === MessageType.ACK) acks.push(m);
  }
  assertEquals(acks.map((m) => [m.seq, m.length]), [[0, ACK_SIZE], [1, ACK_SIZE], [2, ACK_SIZE]]);
  assertEquals(acks.map((m) => ackTimes(m.payload)), times);
  assert(Object.is(ackTimes(acks[2]!.payload)[0], -0), "the bits are kept: -0 stays -0");
});

Deno.test("MessageWriter.writeBye() truncates a long reason to the BYE limit", async () => {
  const sink = new RecordingSink();
  await new MessageWriter(sink).writeBye(2, "x".repeat(1000));
  const m = await new MessageReader(new ChunkSource([sink.bytes()])).readMessage();
  assertEquals(m!.length, MAX_BYE_PAYLOAD);
  assertEquals(m!.payload[0], 2);
});

Deno.test("MessageWriter keeps working after a failed write", async () => {
  let fail = true;
  const sink = new RecordingSink();
  const writer = new MessageWriter({
    write: (p) => {
      if (fail) {
        fail = false;
        return Promise.reject(new Deno.errors.BrokenPipe("gone"));
      }
      return sink.write(p);
    },
  });
  const first = writer.writeAck(1, 10, 20);
  const second = writer.writeAck(2, 30, 40);
  await first.then(
    () => assert(false, "should fail"),
    (e) => assert(e instanceof Deno.errors.BrokenPipe),
  );
  await second;
  assertEquals(sink.writes.length, 1);
  const m = await new MessageReader(new ChunkSource([sink.bytes()])).readMessage();
  assertEquals([m!.type, m!.seq, ...ackTimes(m!.payload)], [MessageType.ACK, 2, 30, 40]);
});

Deno.test("sealed messages round-trip, and a flipped bit is refused", async () => {
  const d = await KeyPair.generate(), a = await KeyPair.generate();
  const t = new Uint8Array([...d.publicKey, ...a.publicKey]);
  const code = "ABCDEFGHJKMNPQRSTVWX";
  const [dk, ak] = [
    await d.derive(a.publicKey, code, t, "dialer"),
    await a.derive(d.publicKey, code, t, "acceptor"),
  ];
  const sink = new RecordingSink();
  const writer = new MessageWriter(sink);
  writer.secure(dk.send);
  const buf = new Uint8Array(HEADER_SIZE + 100 + MessageWriter.TRAILER);
  buf.fill(7, HEADER_SIZE, HEADER_SIZE + 100);
  await writer.writeFrame(buf, 100, 3, 42);
  await writer.writeAck(3, 1700000000100.0625, 1700000000107.9375);
  await writer.writeBye(1, "done");
  const wire = sink.bytes();
  const reader = new MessageReader(new ChunkSource([wire]));
  reader.secure(ak.receive);
  const frame = await reader.readMessage();
  assertEquals([frame!.type, frame!.seq, frame!.length], [MessageType.FRAME, 3, 100]);
  assert(frame!.payload.every((b) => b === 7));
  // Sealed, the ACK's length counts the tag; opened, its times are exact.
  const ackStart = HEADER_SIZE + 100 + 16;
  assertEquals(new DataView(wire.buffer).getUint32(ackStart), ACK_SIZE + 16);
  const ack = await reader.readMessage();
  assertEquals([ack!.type, ack!.seq, ack!.length], [MessageType.ACK, 3, ACK_SIZE]);
  assertEquals(ackTimes(ack!.payload), [1700000000100.0625, 1700000000107.9375]);
  // The times are encrypted: they do not appear in clear on the wire.
  const clear = new Uint8Array(8);
  new DataView(clear.buffer).setFloat64(0, 1700000000100.0625);
  const sealedAck = wire.subarray(ackStart + HEADER_SIZE, ackStart + HEADER_SIZE + ACK_SIZE + 16);
  assert(!sealedAck.some((_, i) => clear.every((b, j) => sealedAck[i + j] === b)), "in clear");
  const bye = await reader.readMessage();
  assertEquals([bye!.payload[0], new TextDecoder().decode(bye!.payload.subarray(1))], [1, "done"]);
  assertEquals(await reader.readMessage(), null);

  // A flipped bit in the frame, in the sealed ACK's times, or in the BYE.
  for (const at of [5, HEADER_SIZE + 50, ackStart + HEADER_SIZE + 3, wire.length - 3]) {
    const tampered = wire.slice();
    tampered[at]! ^= 1;
    const r = new MessageReader(new ChunkSource([tampered]));
    const ak2 = await a.derive(d.publicKey, code, t, "acceptor");
    r.secure(ak2.receive);
    const error = await (async (): Promise<unknown> => {
      try {
        while (await r.readMessage() !== null);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert(error instanceof ProtocolError, `flip at ${at}: ${error}`);
  }
});
