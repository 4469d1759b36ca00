/**
 * Against a running peer: garbage, an HTTP request, a hello followed by an
 * oversized length, silent connections, a flood, a wrong code — and then the
 * real peer still gets a working call.
 */

import { generateCode } from "../src/net/secret.ts";
import { encodeHello, HEADER_SIZE, MessageType, writeHeader } from "../src/net/protocol.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { HEADLESS, listening, Peer } from "./_peer.ts";
import { freePort } from "./_tools.ts";

async function send(port: number, bytes: Uint8Array, keepOpen = false): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytes).catch(() => {});
  if (!keepOpen) {
    // Read whatever comes back until the peer closes.
    const buf = new Uint8Array(4096);
    const closed = (async () => {
      try {
        while (await conn.read(buf) !== null);
      } catch { /* reset */ }
    })();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 7000))]);
    try {
      conn.close();
    } catch { /* closed */ }
  }
  return conn;
}

Deno.test("a listening peer survives hostile connections and then takes the real peer", async () => {
  const code = generateCode();
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--frames", "30", "--stats", "json"], {
    PEERCAM_SECRET: code,
  });
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
  const silent = await Promise.all([0, 1, 2].map(() => send(port, new Uint8Array(0), true)));
  for (const bytes of [random, http, oversized]) await send(port, bytes);
  // A flood: more connections at once than the listener greets; the rest are
  // closed at once, and the listener stays bounded.
  await Promise.all(Array.from({ length: 40 }, () => send(port, random.subarray(0, 100))));
  await a.waitFor(/No hello within 5000 ms/, 10000); // the silent ones were dropped
  const wrong = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--secret", generateCode()]);
  assertEquals(await wrong.exit(), 1);
  const t = performance.now();
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--frames", "30"], {
    PEERCAM_SECRET: code,
  });
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  assert(performance.now() - t < 15000, "the real call was not held up");
  for (const c of silent) {
    try {
      c.close();
    } catch { /* closed by the peer after its handshake timeout */ }
  }
  assert(a.summary().frames_decoded >= 30 && a.summary().decode_errors === 0);
  assertMatch(a.stderr, /wrong magic/);
  assertMatch(a.stderr, /the peer has no secret code and this side requires one/);
  assertMatch(a.stderr, /secret codes differ/);
});
