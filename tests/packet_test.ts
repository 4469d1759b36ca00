import { Packet } from "../src/packet.ts";
import { HEADER_SIZE } from "../src/net/protocol.ts";
import { TAG_SIZE } from "../src/net/secure.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

Deno.test("Packet keeps header room in front of the payload and tag room after it", () => {
  const p = new Packet(100);
  assertEquals(p.data.length, HEADER_SIZE + 100 + TAG_SIZE);
  assertEquals(p.payload.length, 100);
  assertEquals(p.payload.byteOffset, HEADER_SIZE);
  assert(p.payload.buffer === p.data.buffer);
});

Deno.test("Packet.reserve() grows by at least half and never past the limit", () => {
  const p = new Packet(100);
  const before = p.data;
  p.reserve(100, 1000);
  assert(p.data === before, "no growth when it fits");
  p.reserve(101, 1000);
  assertEquals(p.payload.length, 150);
  p.reserve(900, 1000);
  assertEquals(p.payload.length, 900);
  p.reserve(950, 1000);
  assertEquals(p.payload.length, 1000);
  assertThrows(() => p.reserve(1001, 1000), RangeError, "exceeds the 1000-byte limit");
});
