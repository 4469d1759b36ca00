import { assert, assertEquals } from "./_assert.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { ProtocolError } from "../src/errors.ts";
import { HEADER_SIZE, MAX_BYE_PAYLOAD, MessageType } from "../src/net/protocol.ts";
import { KeyPair } from "../src/net/secure.ts";
import { ChunkSource, RecordingSink } from "./_bytes.ts";

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
    writer.writeEmpty(MessageType.ACK, 9),
    writer.writeBye(0, "bye"),
  ]);
  const reader = new MessageReader(new ChunkSource([sink.bytes()]));
  const seen = [];
  for (let m; (m = await reader.readMessage()) !== null;) seen.push(m);
  assertEquals(seen.map((m) => m.type), [1, 1, 1, 1, 1, MessageType.ACK, MessageType.BYE]);
  seen.slice(0, 5).forEach((m, i) => assert(m.payload.every((b) => b === i + 1)));
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
  const first = writer.writeEmpty(MessageType.ACK, 1);
  const second = writer.writeEmpty(MessageType.ACK, 2);
  await first.then(
    () => assert(false, "should fail"),
    (e) => assert(e instanceof Deno.errors.BrokenPipe),
  );
  await second;
  assertEquals(sink.writes.length, 1);
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
  await writer.writeEmpty(MessageType.ACK, 3);
  await writer.writeBye(1, "done");
  const wire = sink.bytes();
  const reader = new MessageReader(new ChunkSource([wire]));
  reader.secure(ak.receive);
  const frame = await reader.readMessage();
  assertEquals([frame!.type, frame!.seq, frame!.length], [MessageType.FRAME, 3, 100]);
  assert(frame!.payload.every((b) => b === 7));
  assertEquals((await reader.readMessage())!.type, MessageType.ACK);
  const bye = await reader.readMessage();
  assertEquals([bye!.payload[0], new TextDecoder().decode(bye!.payload.subarray(1))], [1, "done"]);
  assertEquals(await reader.readMessage(), null);

  for (const at of [5, HEADER_SIZE + 50, wire.length - 3]) {
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
