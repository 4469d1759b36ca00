/**
 * Encrypted calls end to end: real peers, a proxy on the path as the
 * attacker (sniffing, tampering, replaying), wrong and missing codes.
 */

import { handshake } from "../src/net/connect.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { HEADER_SIZE, HelloFlag } from "../src/net/protocol.ts";
import { generateCode, normalizeCode } from "../src/net/secret.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { HEADLESS, listening, Peer } from "./_peer.ts";
import { contains, Proxy } from "./_proxy.ts";
import { freePort } from "./_tools.ts";

const JPEG_START = [0xff, 0xd8, 0xff]; // SOI then the next marker
const JFIF = [...new TextEncoder().encode("JFIF")];

async function callThrough(
  proxyOf: (port: number) => Proxy,
  secret: string | undefined,
  frames = 60,
): Promise<{ a: Peer; b: Peer; codes: number[]; proxy: Proxy }> {
  const port = freePort();
  const env = secret ? { PEERCAM_SECRET: secret } : undefined;
  const a = new Peer([
    "--listen",
    `127.0.0.1:${port}`,
    ...HEADLESS,
    "--frames",
    String(frames),
    "--stats",
    "json",
  ], env);
  await a.waitFor("Waiting for the peer");
  const proxy = proxyOf(port);
  const b = new Peer([
    "--peer",
    `127.0.0.1:${proxy.port}`,
    ...HEADLESS,
    "--frames",
    String(frames),
    "--stats",
    "json",
  ], env);
  const codes = await Promise.all([a.exit(), b.exit()]);
  return { a, b, codes, proxy };
}

Deno.test("with a code the call works, and a sniffer sees no JPEG on the wire", async () => {
  const { a, b, codes, proxy } = await callThrough((p) => new Proxy(p), generateCode());
  await using _ = proxy;
  assertEquals(codes, [0, 0], `${a.stderr}\n${b.stderr}`);
  assertMatch(a.stderr, /encrypted/);
  assert(!/not encrypted/.test(a.stderr));
  assert(a.summary().frames_decoded >= 60 && b.summary().frames_decoded >= 60);
  for (const dir of ["up", "down"] as const) {
    const wire = proxy.bytes(dir);
    assert(wire.length > 100_000, `${dir}: ${wire.length} bytes`);
    assert(!contains(wire, JFIF), `${dir}: JFIF header in clear`);
  }
});

Deno.test("without a code the call works, warns, and the JPEG is in clear (the sniffer's control)", async () => {
  const { a, b, codes, proxy } = await callThrough((p) => new Proxy(p), undefined, 30);
  await using _ = proxy;
  assertEquals(codes, [0, 0], `${a.stderr}\n${b.stderr}`);
  assertMatch(
    a.stderr,
    /Warning: this call is not encrypted: .* anyone who can reach port \d+ can join it/,
  );
  assertMatch(b.stderr, /Warning: this call is not encrypted/);
  assert(contains(proxy.bytes("up"), JPEG_START) && contains(proxy.bytes("up"), JFIF));
});

Deno.test("a tampered frame ends the connection, is never shown, and the call resumes", async () => {
  let flipped = false;
  const { a, b, codes, proxy } = await callThrough(
    (p) =>
      new Proxy(p, (chunk, dir, offset) => {
        // Flip one bit in the middle of the stream from B to A, well past the handshake.
        if (dir === "up" && !flipped && offset + chunk.length > 200_000) {
          const out = chunk.slice();
          out[Math.max(0, 200_000 - offset)]! ^= 0x10;
          flipped = true;
          return out;
        }
        return chunk;
      }),
    generateCode(),
    400,
  );
  await using _ = proxy;
  assert(flipped, "the proxy saw enough traffic to tamper with");
  assertMatch(a.stderr, /failed authentication: it was tampered with, replayed, reordered/);
  assertMatch(b.stderr, /Reconnected to .* encrypted with fresh keys/);
  assertEquals(codes, [0, 0], `${a.stderr}\n${b.stderr}`);
  assertEquals(a.summary().decode_errors, 0, "the tampered frame was not decoded");
  assertEquals(a.summary().reconnects, 1);
});

Deno.test("a replayed message ends the connection, and the call resumes", async () => {
  let replayed = false;
  const { a, b, codes, proxy } = await callThrough(
    (p) =>
      new Proxy(p, (chunk, dir, offset) => {
        // Send one chunk twice, well past the handshake.
        if (dir === "up" && !replayed && offset > 100_000) {
          replayed = true;
          const out = new Uint8Array(chunk.length * 2);
          out.set(chunk);
          out.set(chunk, chunk.length);
          return out;
        }
        return chunk;
      }),
    generateCode(),
    400,
  );
  await using _ = proxy;
  assert(replayed);
  assertEquals(codes, [0, 0], `${a.stderr}\n${b.stderr}`);
  assertEquals(a.summary().reconnects, 1);
  assertMatch(
    a.stderr,
    /failed authentication|Message too large|Unknown message type|Message too short/,
  );
  assertEquals(a.summary().decode_errors, 0);
});

Deno.test("a wrong code is refused on both sides; the listener then takes the right peer", async () => {
  const code = generateCode();
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--frames", "30", "--stats", "json"], {
    PEERCAM_SECRET: code,
  });
  const wrong = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--secret", generateCode()]);
  assertEquals(await wrong.exit(), 1);
  assertMatch(
    wrong.stderr,
    /Cannot call 127\.0\.0\.1:\d+: the call was refused: the secret codes differ/,
  );
  const none = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS]);
  assertEquals(await none.exit(), 1);
  assertMatch(none.stderr, /the peer requires a secret code and this side has none/);
  await a.waitFor(/Turned away .*secret codes differ[\s\S]*Turned away .*has no secret code/);
  const right = new Peer([
    "--peer",
    `127.0.0.1:${port}`,
    ...HEADLESS,
    "--frames",
    "30",
    "--secret",
    code,
  ]);
  assertEquals(await Promise.all([a.exit(), right.exit()]), [0, 0], `${a.stderr}\n${right.stderr}`);
  assert(a.summary().frames_decoded >= 30);
});

Deno.test("--secret new on the listener prints a code the peer can use", async () => {
  const port = freePort();
  const a = new Peer([
    "--listen",
    `127.0.0.1:${port}`,
    ...HEADLESS,
    "--frames",
    "20",
    "--secret",
    "new",
  ]);
  await a.waitFor(/Secret code for this call: ([0-9A-Z-]{24})/);
  const code = /Secret code for this call: ([0-9A-Z-]{24})/.exec(a.stderr)![1]!;
  const b = new Peer([
    "--peer",
    `127.0.0.1:${port}`,
    ...HEADLESS,
    "--frames",
    "20",
    "--secret",
    code,
  ]);
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
});

Deno.test("corrupt JPEG from an authenticated peer counts as decode errors; the call goes on", async () => {
  const code = generateCode();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const peer = new Peer(
    ["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--source", "none", "--stats", "json"],
    { PEERCAM_SECRET: code },
  );
  const conn = await listener.accept();
  listener.close();
  const link = await handshake(conn, {
    flags: HelloFlag.VIDEO,
    name: "fake",
    code: normalizeCode(code),
  }, "acceptor");
  const buf = new Uint8Array(HEADER_SIZE + 64 + MessageWriter.TRAILER);
  buf.fill(0xab, HEADER_SIZE, HEADER_SIZE + 64);
  for (let i = 0; i < 5; i++) await link.writer.writeFrame(buf, 64, i, Date.now());
  await new Promise((r) => setTimeout(r, 500));
  await link.writer.writeBye(0);
  assertEquals(await peer.exit(), 0, peer.stderr);
  link.conn.close();
  assertMatch(peer.stderr, /encrypted/);
  assertMatch(peer.stderr, /Received a frame that does not decode/);
  const s = peer.summary();
  assertEquals([s.frames_received, s.frames_decoded, s.decode_errors > 0], [5, 0, true]);
});
