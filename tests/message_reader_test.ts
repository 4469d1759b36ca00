import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { ProtocolError } from "../src/errors.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import {
  ACK_SIZE,
  encodeHello,
  HEADER_SIZE,
  HelloFlag,
  MAX_FRAME_PAYLOAD,
  MessageType,
  PROTOCOL_VERSION,
  writeHeader,
} from "../src/net/protocol.ts";
import { chunked, ChunkSource, concat, RecordingSink } from "./_bytes.ts";

function header(length: number, type: number, seq = 0, timestamp = 0): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE);
  writeHeader(new DataView(out.buffer), 0, { length, type, seq, timestamp });
  return out;
}

function frame(payload: Uint8Array, seq = 0, timestamp = 0): Uint8Array {
  return concat([header(payload.length, MessageType.FRAME, seq, timestamp), payload]);
}

// An ACK's times: a frame's first and last bytes' arrival, ms since the
// epoch with sub-millisecond parts that a float32 or a rounding would lose.
const FIRST_BYTE = 1700000000456.0123;
const LAST_BYTE = 1700000000461.9876;

function f64s(payload: Uint8Array): number[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return Array.from({ length: payload.length / 8 }, (_, i) => view.getFloat64(i * 8));
}

async function wire(): Promise<Uint8Array> {
  const sink = new RecordingSink();
  const writer = new MessageWriter(sink);
  await writer.writeHello(encodeHello({ flags: HelloFlag.VIDEO, name: "Ålice" }));
  const buf = new Uint8Array(HEADER_SIZE + 1000);
  for (let i = 0; i < 1000; i++) buf[HEADER_SIZE + i] = i & 0xff;
  await writer.writeFrame(buf, 1000, 7, 1700000000123.25);
  await writer.writeAck(7, FIRST_BYTE, LAST_BYTE);
  await writer.writeBye(1, "done");
  return sink.bytes();
}

async function readAll(reader: MessageReader) {
  const out = [];
  for (let m; (m = await reader.readMessage()) !== null;) out.push(m);
  return out;
}

Deno.test("MessageReader round-trips what MessageWriter wrote", async () => {
  const reader = new MessageReader(new ChunkSource([await wire()]));
  const hello = await reader.readHello();
  assertEquals([hello.version, hello.flags, hello.name, hello.publicKey], [
    PROTOCOL_VERSION,
    HelloFlag.VIDEO,
    "Ålice",
    undefined,
  ]);
  assertEquals(hello.bytes, encodeHello({ flags: HelloFlag.VIDEO, name: "Ålice" }));
  const [f, ack, bye, ...rest] = await readAll(reader);
  assertEquals(rest.length, 0);
  assertEquals([f!.type, f!.seq, f!.timestamp, f!.length], [
    MessageType.FRAME,
    7,
    1700000000123.25,
    1000,
  ]);
  assert(f!.payload.every((b, i) => b === (i & 0xff)));
  // The ACK carries the frame's two arrival times, bit for bit (a writer
  // that kept v3's empty ACK, swapped them or wrote float32 fails here).
  assertEquals([ack!.type, ack!.seq, ack!.length], [MessageType.ACK, 7, ACK_SIZE]);
  assertEquals(f64s(ack!.payload), [FIRST_BYTE, LAST_BYTE]);
  // Its header timestamp is its send time, not one of the frame's times.
  assert(Math.abs(ack!.timestamp - Date.now()) < 60_000, `ACK sent at ${ack!.timestamp}`);
  assertEquals([bye!.type, bye!.payload[0], new TextDecoder().decode(bye!.payload.subarray(1))], [
    MessageType.BYE,
    1,
    "done",
  ]);
});

Deno.test("MessageReader reassembles messages split across reads, down to one byte", async () => {
  const bytes = await wire();
  for (const size of [1, 3, 19, 21, 777]) {
    const reader = new MessageReader(new ChunkSource(chunked(bytes, size)), { bufferSize: 128 });
    assertEquals((await reader.readHello()).name, "Ålice");
    const messages = await readAll(reader);
    assertEquals(messages.map((m) => m.type), [
      MessageType.FRAME,
      MessageType.ACK,
      MessageType.BYE,
    ]);
    assertEquals(messages[0]!.payload.length, 1000);
    assert(messages[0]!.payload.every((b, i) => b === (i & 0xff)), `chunk size ${size}`);
    assertEquals(f64s(messages[1]!.payload), [FIRST_BYTE, LAST_BYTE], `chunk size ${size}`);
  }
});

Deno.test("MessageReader reads several messages from one read", async () => {
  const many = concat(
    Array.from({ length: 50 }, (_, i) => frame(new Uint8Array([i, i + 1, i + 2]), i)),
  );
  const source = new ChunkSource([encodeHello({ flags: 0, name: "b" }), many]);
  const reader = new MessageReader(source);
  await reader.readHello();
  const messages = await readAll(reader);
  assertEquals(messages.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => i));
  assertEquals(messages[49]!.payload, new Uint8Array([49, 50, 51]));
  assert(source.reads <= 4, `expected few reads, got ${source.reads}`);
});

Deno.test("MessageReader accepts a zero-length payload", async () => {
  const reader = new MessageReader(new ChunkSource([frame(new Uint8Array(0), 3)]));
  const m = await reader.readMessage();
  assertEquals([m!.type, m!.seq, m!.payload.length], [MessageType.FRAME, 3, 0]);
  assertEquals(await reader.readMessage(), null);
});

Deno.test("MessageReader.readHeader() returns null at a clean end between messages", async () => {
  const reader = new MessageReader(new ChunkSource([frame(new Uint8Array([1]))]));
  assert(await reader.readMessage());
  assertEquals(await reader.readHeader(), null);
  assertEquals(await new MessageReader(new ChunkSource([])).readHeader(), null);
});

Deno.test("MessageReader.readHeader() throws on a truncated header", async () => {
  const reader = new MessageReader(
    new ChunkSource([header(10, MessageType.FRAME).subarray(0, 11)]),
  );
  await assertRejects(() => reader.readHeader(), ProtocolError, "Truncated header");
});

Deno.test("MessageReader.readPayload() throws on a truncated body", async () => {
  const whole = frame(new Uint8Array(5000).fill(9));
  const reader = new MessageReader(new ChunkSource(chunked(whole.subarray(0, 3000), 700)));
  await assertRejects(() => reader.readMessage(), ProtocolError, "Truncated message");
});

Deno.test("MessageReader rejects an oversized declared length before allocating", async () => {
  // Only the header exists: the reader must refuse without waiting for or
  // allocating the 4 GiB the header claims.
  const source = new ChunkSource([header(0xffffffff, MessageType.FRAME)]);
  const reader = new MessageReader(source);
  await assertRejects(() => reader.readMessage(), ProtocolError, "Message too large");
  const limited = new MessageReader(new ChunkSource([header(1001, MessageType.FRAME)]), {
    maxFramePayload: 1000,
  });
  await assertRejects(() => limited.readHeader(), ProtocolError, "limit is 1000");
  const justFits = new MessageReader(
    new ChunkSource([header(MAX_FRAME_PAYLOAD, MessageType.FRAME)]),
  );
  assertEquals((await justFits.readHeader())!.length, MAX_FRAME_PAYLOAD);
});

Deno.test("MessageReader rejects control messages that carry a payload, and unknown types", async () => {
  for (const type of [MessageType.PING, MessageType.SATISFIED, MessageType.PAUSED]) {
    await assertRejects(
      () => new MessageReader(new ChunkSource([header(1, type)])).readHeader(),
      ProtocolError,
      "too large",
    );
  }
  await assertRejects(
    () => new MessageReader(new ChunkSource([header(257, MessageType.BYE)])).readHeader(),
    ProtocolError,
    "too large",
  );
  await assertRejects(
    () => new MessageReader(new ChunkSource([header(0, 99)])).readHeader(),
    ProtocolError,
    "Unknown message type 99",
  );
});

// Catches a reader that still takes v3's empty ACK (L = 0), one that checks
// only the upper limit (L = 8 would read half the times and leave the rest
// as stale buffer contents), and one that lets a longer ACK through (L = 17).
Deno.test("MessageReader refuses an ACK whose length is not 16, naming the ACK", async () => {
  for (const length of [0, 8, 15, 17, 0xffffffff]) {
    // The declared payload follows in full: only the length is wrong.
    const bytes = concat([
      header(length, MessageType.ACK, 3),
      new Uint8Array(Math.min(length, 64)),
    ]);
    const error = await assertRejects(
      () => new MessageReader(new ChunkSource([bytes])).readMessage(),
      ProtocolError,
    );
    assert(/\bACK\b|type 2 declares/.test(error.message), `L = ${length}: ${error.message}`);
  }
  const ok = concat([header(ACK_SIZE, MessageType.ACK, 3), new Uint8Array(ACK_SIZE)]);
  assertEquals((await new MessageReader(new ChunkSource([ok])).readMessage())!.length, ACK_SIZE);
});

Deno.test("MessageReader.readHello() rejects a wrong magic", async () => {
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await assertRejects(
    () => new MessageReader(new ChunkSource([http])).readHello(),
    ProtocolError,
    "wrong magic",
  );
});

Deno.test("MessageReader.readHello() rejects an older protocol version, naming the side to update", async () => {
  const hello = encodeHello({ flags: 0, name: "x" });
  new DataView(hello.buffer).setUint16(4, PROTOCOL_VERSION - 1);
  await assertRejects(
    () => new MessageReader(new ChunkSource([hello])).readHello(),
    ProtocolError,
    `an older peercam (protocol version ${
      PROTOCOL_VERSION - 1
    }, this one speaks ${PROTOCOL_VERSION}): update the peer's peercam`,
  );
});

// Catches a build that did not bump the version with the ACK's new layout
// (a v3 peer would then send empty ACKs that end the call as a protocol
// error), or that still accepts version 3.
Deno.test("MessageReader.readHello() refuses a version 3 peer: it speaks 4", async () => {
  const hello = encodeHello({ flags: 0, name: "x" });
  new DataView(hello.buffer).setUint16(4, 3);
  await assertRejects(
    () => new MessageReader(new ChunkSource([hello])).readHello(),
    ProtocolError,
    "an older peercam (protocol version 3, this one speaks 4): update the peer's peercam",
  );
});

Deno.test("MessageReader.readHello() rejects another protocol version", async () => {
  const hello = encodeHello({ flags: 0, name: "x" });
  new DataView(hello.buffer).setUint16(4, PROTOCOL_VERSION + 1);
  await assertRejects(
    () => new MessageReader(new ChunkSource([hello])).readHello(),
    ProtocolError,
    `a newer peercam (protocol version ${
      PROTOCOL_VERSION + 1
    }, this one speaks ${PROTOCOL_VERSION})`,
  );
});

Deno.test("MessageReader.readHello() rejects a truncated hello and a bad name", async () => {
  const hello = encodeHello({ flags: 0, name: "abcdef" });
  await assertRejects(
    () => new MessageReader(new ChunkSource([hello.subarray(0, 5)])).readHello(),
    ProtocolError,
    "Truncated hello",
  );
  await assertRejects(
    () => new MessageReader(new ChunkSource([hello.subarray(0, 10)])).readHello(),
    ProtocolError,
    "Truncated hello",
  );
  await assertRejects(
    () => new MessageReader(new ChunkSource([])).readHello(),
    ProtocolError,
    "before the hello",
  );
  const control = hello.slice();
  control[9] = 7;
  await assertRejects(
    () => new MessageReader(new ChunkSource([control])).readHello(),
    ProtocolError,
    "control characters",
  );
  const overlong = hello.slice();
  overlong[7] = 200;
  await assertRejects(
    () => new MessageReader(new ChunkSource([overlong])).readHello(),
    ProtocolError,
    "exceeds 64",
  );
});

Deno.test("MessageReader.readHeader() refuses to skip an unread payload", async () => {
  const reader = new MessageReader(
    new ChunkSource([frame(new Uint8Array(4)), frame(new Uint8Array(4))]),
  );
  await reader.readHeader();
  await assertRejects(() => reader.readHeader(), ProtocolError, "not read");
});
