/**
 * Against a running peer: garbage, an HTTP request, a hello followed by an
 * oversized length, a flood of silent connections, a flood of garbage, a
 * wrong code — and then the real peer still gets a working call.
 */

import { delay } from "../src/async.ts";
import { MAX_PENDING } from "../src/net/acceptor.ts";
import { HANDSHAKE_TIMEOUT_MS } from "../src/net/connect.ts";
import { generateCode } from "../src/net/secret.ts";
import { encodeHello, HEADER_SIZE, MessageType, writeHeader } from "../src/net/protocol.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { HEADLESS, listening, Peer } from "./_peer.ts";
import { freePort } from "./_tools.ts";

// Well before the peer's hello timeout: a connection closed sooner was
// turned away, not left to time out.
const PROMPT_MS = HANDSHAKE_TIMEOUT_MS / 2;

// Connects, sends `bytes`, and resolves with how long the peer took to
// close the connection (end of stream or reset), or Infinity if it had not
// within the hello timeout and some.
async function closedAfter(port: number, bytes = new Uint8Array(0)): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t = performance.now();
  await conn.write(bytes).catch(() => {});
  const buf = new Uint8Array(4096);
  const closed = (async () => {
    try {
      while (await conn.read(buf) !== null); // the peer's hello may come first
    } catch { /* reset */ }
    return performance.now() - t;
  })();
  const limit = delay(HANDSHAKE_TIMEOUT_MS + 3000).then(() => Infinity);
  const ms = await Promise.race([closed, limit]);
  conn.close();
  return ms;
}

// The resident memory of a process, in MB (Linux).
function rssMb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

Deno.test("a listening peer survives hostile connections and then takes the real peer", async () => {
  const code = generateCode();
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--frames", "30", "--stats", "json"], {
    PEERCAM_SECRET: code,
  });
  const rssBefore = rssMb(a.child.pid);
  const random = crypto.getRandomValues(new Uint8Array(5000));
  const http = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: peer\r\n\r\n");
  const header = new Uint8Array(HEADER_SIZE);
  writeHeader(new DataView(header.buffer), 0, {
    length: 0xffffffff,
    type: MessageType.FRAME,
    seq: 0,
    timestamp: 0,
  });
  const oversized = new Uint8Array([...encodeHello({ flags: 0, name: "x" }), ...header]);
  for (const bytes of [random, http, oversized]) {
    const ms = await closedAfter(port, bytes);
    assert(ms < PROMPT_MS, `garbage closed after ${ms} ms`);
  }

  // A flood of silent connections: the peer greets MAX_PENDING of them,
  // which wait out the hello timeout, and closes every other one at once.
  const silent = await Promise.all(Array.from({ length: 64 }, () => closedAfter(port)));
  assert(silent.every(Number.isFinite), "the peer closed every silent connection");
  const held = silent.filter((ms) => ms >= PROMPT_MS).length;
  assertEquals(held, MAX_PENDING, `held ${held} of 64 until the hello timeout`);
  assertEquals(occurrences(a.stderr, "too many connections at once"), 64 - MAX_PENDING);
  await a.waitFor(`No hello within ${HANDSHAKE_TIMEOUT_MS} ms`, 3000);

  // A flood of garbage: each connection is closed promptly.
  const flood = await Promise.all(Array.from({ length: 40 }, () => closedAfter(port, random)));
  const slowest = Math.max(...flood);
  assert(slowest < PROMPT_MS, `a garbage connection was closed after ${slowest} ms`);

  // Nothing the floods brought is kept: a megabyte left behind by each of
  // these 107 connections would pass this bound.
  const grown = rssMb(a.child.pid) - rssBefore;
  assert(grown < 64, `the listening peer grew by ${grown.toFixed(1)} MB`);

  const wrong = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--secret", generateCode()]);
  assertEquals(await wrong.exit(), 1);
  const t = performance.now();
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--frames", "30"], {
    PEERCAM_SECRET: code,
  });
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  assert(performance.now() - t < 15000, "the real call was not held up");
  assert(a.summary().frames_decoded >= 30 && a.summary().decode_errors === 0);
  assertMatch(a.stderr, /wrong magic/);
  assertMatch(a.stderr, /the peer has no secret code and this side requires one/);
  assertMatch(a.stderr, /secret codes differ/);
});
