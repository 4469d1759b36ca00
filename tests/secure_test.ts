import { KeyPair, TAG_SIZE } from "../src/net/secure.ts";
import { assert, assertEquals } from "./_assert.ts";

const CODE = "ABCDEFGHJKMNPQRSTVWX";
const OTHER = "0123456789ABCDEFGHJK";

async function pair(dialerCode: string, acceptorCode: string) {
  const d = await KeyPair.generate(), a = await KeyPair.generate();
  const transcript = new Uint8Array([...d.publicKey, ...a.publicKey]);
  return [
    await d.derive(a.publicKey, dialerCode, transcript, "dialer"),
    await a.derive(d.publicKey, acceptorCode, transcript, "acceptor"),
  ] as const;
}

Deno.test("KeyPair.derive() gives matching keys and confirmations for the same code", async () => {
  const [d, a] = await pair(CODE, CODE);
  assertEquals(d.confirm, a.expected);
  assertEquals(a.confirm, d.expected);
  assert(d.confirm.some((b, i) => b !== a.confirm[i]), "each side's confirmation differs");
  const header = new Uint8Array(20).fill(7);
  const sealed = await d.send.seal(header, new TextEncoder().encode("frame"));
  assertEquals(sealed.length, 5 + TAG_SIZE);
  assertEquals(new TextDecoder().decode((await a.receive.open(header, sealed))!), "frame");
});

Deno.test("KeyPair.derive() gives different confirmations for different codes", async () => {
  const [d, a] = await pair(CODE, OTHER);
  assert(d.confirm.some((b, i) => b !== a.expected[i]));
  const sealed = await d.send.seal(new Uint8Array(20), new Uint8Array(10));
  assertEquals(await a.receive.open(new Uint8Array(20), sealed), null);
});

Deno.test("keys are fresh for every connection", async () => {
  const [d1] = await pair(CODE, CODE);
  const [d2] = await pair(CODE, CODE);
  assert(d1.confirm.some((b, i) => b !== d2.confirm[i]));
});

Deno.test("Opener.open() rejects tampering, replay and reordering", async () => {
  const [d, a] = await pair(CODE, CODE);
  const h = new Uint8Array(20);
  const m1 = await d.send.seal(h, new Uint8Array([1, 2, 3]));
  const m2 = await d.send.seal(h, new Uint8Array([4, 5, 6]));
  const tampered = m1.slice();
  tampered[1]! ^= 1;
  assertEquals(await a.receive.open(h, tampered), null, "tampered payload");
  // Each failed open still advances the counter, as the connection ends anyway;
  // start over with a fresh pair for the other cases.
  const [d2, a2] = await pair(CODE, CODE);
  const n1 = await d2.send.seal(h, new Uint8Array([1]));
  const n2 = await d2.send.seal(h, new Uint8Array([2]));
  assertEquals(await a2.receive.open(h, n2), null, "reordered");
  const [d3, a3] = await pair(CODE, CODE);
  const r1 = await d3.send.seal(h, new Uint8Array([1]));
  assert(await a3.receive.open(h, r1));
  assertEquals(await a3.receive.open(h, r1), null, "replayed");
  const [d4, a4] = await pair(CODE, CODE);
  const k1 = await d4.send.seal(h, new Uint8Array([1]));
  const otherHeader = h.slice();
  otherHeader[4] = 9;
  assertEquals(await a4.receive.open(otherHeader, k1), null, "tampered header");
  void m2;
  void n1;
});
