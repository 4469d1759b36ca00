import {
  decodeName,
  encodeHello,
  encodeName,
  HEADER_SIZE,
  MAX_NAME_BYTES,
  MessageType,
  parseHelloPrefix,
  readHeader,
  writeHeader,
} from "../src/net/protocol.ts";
import { ProtocolError } from "../src/errors.ts";
import { assertEquals, assertThrows } from "./_assert.ts";

Deno.test("encodeHello() starts with PCAM and the version, as docs/PROTOCOL.md says", () => {
  const bytes = encodeHello({ flags: 5, name: "ab" });
  assertEquals([...bytes], [0x50, 0x43, 0x41, 0x4d, 0, 3, 5, 2, 0x61, 0x62]);
  assertEquals(parseHelloPrefix(bytes), { version: 3, flags: 5, nameLength: 2 });
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
