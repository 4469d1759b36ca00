import {
  ACK_SIZE,
  decodeName,
  encodeHello,
  encodeName,
  HEADER_SIZE,
  MAX_NAME_BYTES,
  MessageType,
  parseHelloPrefix,
  PROTOCOL_VERSION,
  readHeader,
  writeHeader,
} from "../src/net/protocol.ts";
import { ProtocolError } from "../src/errors.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("encodeHello() starts with PCAM and the version, as docs/PROTOCOL.md says", () => {
  const bytes = encodeHello({ flags: 5, name: "ab" });
  // Version 4: ACKs carry the frame's arrival times.
  assertEquals(PROTOCOL_VERSION, 4);
  assertEquals([...bytes], [0x50, 0x43, 0x41, 0x4d, 0, 4, 5, 2, 0x61, 0x62]);
  assertEquals(parseHelloPrefix(bytes), { version: 4, flags: 5, nameLength: 2 });
});

Deno.test("encodeName() truncates to 64 bytes without splitting a character", () => {
  const bytes = encodeName("€".repeat(30)); // 3 bytes each
  assertEquals(bytes.length, 63);
  assertEquals(decodeName(bytes), "€".repeat(21));
  assertEquals(encodeName("x".repeat(100)).length, MAX_NAME_BYTES);
});

Deno.test("decodeName() rejects invalid UTF-8", () => {
  assertThrows(() => decodeName(new Uint8Array([0xff, 0xfe])), ProtocolError, "not UTF-8");
});

Deno.test("writeHeader() and readHeader() agree on the 20-byte layout", () => {
  const buf = new Uint8Array(HEADER_SIZE + 4);
  const view = new DataView(buf.buffer);
  writeHeader(view, 4, { length: 258, type: MessageType.FRAME, seq: 0xfffffffe, timestamp: 1.5 });
  assertEquals([...buf.subarray(4, 12)], [0, 0, 1, 2, 1, 0, 0, 0]);
  const into = { length: 0, type: 0, seq: 0, timestamp: 0 };
  readHeader(view, 4, into, 1 << 20);
  assertEquals(into, { length: 258, type: MessageType.FRAME, seq: 0xfffffffe, timestamp: 1.5 });
});

// An ACK's header declaring `length` bytes (a sealed message counts its tag in them).
function ackHeader(length: number): DataView {
  const view = new DataView(new ArrayBuffer(HEADER_SIZE));
  writeHeader(view, 0, { length, type: MessageType.ACK, seq: 9, timestamp: 2.5 });
  return view;
}

// Catches a readHeader() that keeps v3's empty ACK (L = 0 accepted), checks
// only the upper limit (L = 8 accepted), or lets a longer one through (L = 17).
Deno.test("readHeader() takes an ACK of exactly 16 bytes and refuses any other length", () => {
  assertEquals(ACK_SIZE, 16);
  const into = { length: 0, type: 0, seq: 0, timestamp: 0 };
  readHeader(ackHeader(16), 0, into, 1 << 20);
  assertEquals(into, { length: 16, type: MessageType.ACK, seq: 9, timestamp: 2.5 });
  // Sealed, the declared length counts the 16-byte tag.
  readHeader(ackHeader(32), 0, into, 1 << 20, 16);
  assertEquals(into.length, 16);
  for (const length of [0, 8, 15, 17, 32, 0xffffffff]) {
    const error = assertThrows(
      () => readHeader(ackHeader(length), 0, into, 1 << 20),
      ProtocolError,
    );
    // It names the ACK: by name, or as type 2 with its limit of 16.
    assert(/\bACK\b|type 2 declares \d+ bytes, the limit is 16/.test(error.message), error.message);
  }
  assertThrows(() => readHeader(ackHeader(16), 0, into, 1 << 20, 16), ProtocolError, "ACK");
});
