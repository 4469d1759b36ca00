/**
 * Calls through a real magic-wormhole transit relay (`twist3 transitrelay`):
 * two peers with only `--relay` and a code, a sniffer on the relay link, two
 * pairs at once, a third party, the relay killed and restarted mid-call,
 * direct and relay raced, and relays that cannot pair anyone.
 */

import { generateCode } from "../src/net/secret.ts";
import type { StatsLine } from "../src/stats.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { HEADLESS, listening, Peer, runPeer } from "./_peer.ts";
import { contains, Proxy } from "./_proxy.ts";
import { TransitRelay } from "./_relay.ts";
import { freePort } from "./_tools.ts";

// "JFIF\0", the APP0 header the encoder writes in every frame: 5 bytes, so
// about one chance in 2^40 per byte of ciphertext to appear by accident.
const JFIF = [0x4a, 0x46, 0x49, 0x46, 0x00];

/** A peer meeting its partner at `relay`, headless, sending the test pattern. */
function relayPeer(
  relayPort: number,
  name: string,
  code: string | undefined,
  more: string[] = [],
): Peer {
  return new Peer(
    [
      "--relay",
      `127.0.0.1:${relayPort}`,
      ...HEADLESS,
      "--name",
      name,
      "--stats",
      "json",
      ...more,
    ],
    { PEERCAM_SECRET: code ?? "", PEERCAM_RELAY: "" },
  );
}

const both = (a: Peer, b: Peer) => `--- ${a.stderr}\n--- ${b.stderr}`;

/**
 * Waits for every peer; a peer that hangs counts as -1, so a failure shows
 * what all of them said, not only the one that hung.
 */
function exits(peers: Peer[], timeoutMs = 40_000): Promise<number[]> {
  return Promise.all(peers.map((p) => p.exit(timeoutMs).catch(() => -1)));
}

Deno.test("two peers with only --relay and a code: ≥150 frames each way, a third with the code is refused", async () => {
  await using relay = await TransitRelay.start();
  const code = generateCode();
  const a = relayPeer(relay.port, "alice", code, ["--frames", "150"]);
  const b = relayPeer(relay.port, "bob", code, ["--frames", "150"]);
  await Promise.all([a.waitFor("In a call"), b.waitFor("In a call")]);
  // A third party with the same code is told the call is busy, like a
  // second caller at a listening port.
  const c = relayPeer(relay.port, "carol", code, ["--duration", "20"]);
  const cCode = await c.exit(20_000);
  assertEquals(cCode, 1, c.stderr);
  assertMatch(c.stderr, /Cannot call via relay 127\.0\.0\.1:\d+: .*already in a call/);
  const codes = await Promise.all([a.exit(), b.exit()]);
  assertEquals(codes, [0, 0], both(a, b));
  assertMatch(a.stderr + b.stderr, /Turned away a caller at relay/);
  for (const [peer, other] of [[a, "bob"], [b, "alice"]] as const) {
    assertMatch(peer.stderr, /Connected via relay 127\.0\.0\.1:\d+/);
    assertMatch(peer.stderr, /In a call with "\w+" at relay 127\.0\.0\.1:\d+, encrypted/);
    const s = peer.summary();
    assertEquals([s.peer, s.end, s.path], [other, "done", `via relay 127.0.0.1:${relay.port}`]);
    assert(s.frames_decoded >= 150, `${s.frames_decoded} frames`);
    const lines = peer.json().filter((l): l is StatsLine => l.type === "stats");
    assert(lines.some((l) => l.path === `via relay 127.0.0.1:${relay.port}`), "stats lines");
  }
});

Deno.test("a sniffer on the relay link sees no JPEG; the same sniffer on a plain direct call does", async () => {
  await using relay = await TransitRelay.start();
  const code = generateCode();
  await using sniffer = new Proxy(relay.port);
  const a = relayPeer(relay.port, "alice", code, ["--frames", "60"]);
  const b = relayPeer(sniffer.port, "bob", code, ["--frames", "60"]);
  // The control, at the same time: no code, direct, through the same kind of sniffer.
  const port = freePort();
  const plainA = await listening(port, [...HEADLESS, "--frames", "30"], { PEERCAM_SECRET: "" });
  await using plainSniffer = new Proxy(port);
  const plainB = new Peer(
    ["--peer", `127.0.0.1:${plainSniffer.port}`, ...HEADLESS, "--frames", "30"],
    { PEERCAM_SECRET: "" },
  );
  const codes = await Promise.all([a.exit(), b.exit(), plainA.exit(), plainB.exit()]);
  assertEquals(codes, [0, 0, 0, 0], both(a, b) + both(plainA, plainB));
  for (const dir of ["up", "down"] as const) {
    const wire = sniffer.bytes(dir);
    assert(wire.length > 100_000, `${dir}: only ${wire.length} bytes passed the sniffer`);
    assert(!contains(wire, JFIF), `${dir}: a JPEG header crossed the relay in clear`);
    assert(contains(plainSniffer.bytes(dir), JFIF), `${dir}: the control saw no JPEG`);
  }
  // The relay request itself carries the channel, never the code.
  const request = new TextDecoder().decode(sniffer.bytes("up").subarray(0, 104));
  assertMatch(request, /^please relay [0-9a-f]{64} for side [0-9a-f]{16}\n/);
  assert(!request.toUpperCase().includes(code.replaceAll("-", "")));
});

Deno.test("a relay that alters one byte mid-call: the frame is never shown, the call reconnects", async () => {
  await using relay = await TransitRelay.start();
  const code = generateCode();
  let flipped = false;
  // Between bob and the relay, flip one bit of what bob sends, well past the
  // relay handshake, the hello and the key exchange.
  await using tamper = new Proxy(relay.port, (chunk, dir, offset) => {
    if (dir !== "up" || flipped || offset + chunk.length <= 100_000) return chunk;
    const out = chunk.slice();
    out[Math.max(0, 100_000 - offset)]! ^= 0x10;
    flipped = true;
    return out;
  });
  const a = relayPeer(relay.port, "alice", code, ["--frames", "90"]);
  const b = relayPeer(tamper.port, "bob", code, ["--frames", "90"]);
  const codes = await exits([a, b]);
  assertEquals(codes, [0, 0], both(a, b));
  assert(flipped, "not enough traffic passed to tamper with");
  assertMatch(a.stderr, /failed authentication/);
  assertMatch(a.stderr + b.stderr, /Reconnected to/);
  assertEquals(a.summary().decode_errors, 0, "the altered frame was decoded");
  assert(a.summary().reconnects >= 1);
});

Deno.test("--relay without a code is a usage error, from the flag and from PEERCAM_RELAY", async () => {
  const flag = await runPeer(["--relay", "127.0.0.1:4001", ...HEADLESS], {
    PEERCAM_SECRET: "",
    PEERCAM_RELAY: "",
  });
  assertEquals(flag.code, 2, flag.stderr);
  assertMatch(flag.stderr, /^peercam: A call through a relay needs a secret code/);
  const env = await runPeer([...HEADLESS], {
    PEERCAM_SECRET: "",
    PEERCAM_RELAY: "127.0.0.1:4001",
  });
  assertEquals(env.code, 2, env.stderr);
  assertMatch(env.stderr, /needs a secret code/);
  assertEquals(env.stderr.trim().split("\n").length, 1);
});

Deno.test("two pairs with different codes on one relay at once: each gets its own peer's video", async () => {
  await using relay = await TransitRelay.start();
  const [one, two] = [generateCode(), generateCode()];
  // Different frame sizes per pair: a crossed stream would show the other
  // size. At fixed sizes (--no-adapt): four peers and a relay on two cores
  // may well make a sender scale its frames down for a while.
  const large = ["--frames", "60", "--no-adapt"];
  const small = [...large, "--size", "192x144"];
  const peers = [
    relayPeer(relay.port, "alice", one, large),
    relayPeer(relay.port, "carol", two, small),
    relayPeer(relay.port, "bob", one, large),
    relayPeer(relay.port, "dave", two, small),
  ];
  const codes = await exits(peers);
  assertEquals(codes, [0, 0, 0, 0], peers.map((p) => p.stderr).join("\n---\n"));
  const seen = peers.map((p) => {
    const s = p.summary();
    return [s.peer, `${s.frame_width}x${s.frame_height}`, s.frames_decoded >= 60];
  });
  assertEquals(seen, [
    ["bob", "320x240", true],
    ["dave", "192x144", true],
    ["alice", "320x240", true],
    ["carol", "192x144", true],
  ]);
});

Deno.test("the relay killed mid-call and restarted on its port: the call resumes by itself", async () => {
  let relay = await TransitRelay.start();
  const port = relay.port;
  try {
    const code = generateCode();
    const limits = ["--duration", "8", "--reconnect-timeout", "20"];
    const a = relayPeer(port, "alice", code, limits);
    const b = relayPeer(port, "bob", code, limits);
    await Promise.all([a.waitFor("In a call"), b.waitFor("In a call")]);
    await new Promise((r) => setTimeout(r, 1000));
    await relay.kill();
    await Promise.all([a.waitFor(/reconnecting for up to/), b.waitFor(/reconnecting for up to/)]);
    await new Promise((r) => setTimeout(r, 1000));
    relay = await TransitRelay.start(port);
    const codes = await Promise.all([a.exit(), b.exit()]);
    assertEquals(codes, [0, 0], both(a, b));
    for (const peer of [a, b]) {
      assertMatch(peer.stderr, /Reconnected to/);
      const s = peer.summary();
      assert(s.reconnects >= 1, `${s.reconnects} reconnects`);
      assertEquals(s.path, `via relay 127.0.0.1:${port}`);
      assert(s.frames_decoded >= 60, `${s.frames_decoded} frames`);
    }
  } finally {
    await relay.kill();
  }
});

Deno.test("direct and relay together: loopback takes the direct path; a refused direct path takes the relay", async () => {
  await using relay = await TransitRelay.start();
  const viaRelay = ["--relay", `127.0.0.1:${relay.port}`, "--stats", "json"];
  const [one, two] = [generateCode(), generateCode()];
  const env = (code: string) => ({ PEERCAM_SECRET: code, PEERCAM_RELAY: "" });
  // Pair 1: a direct path exists.
  const port = freePort();
  const a = await listening(port, [...HEADLESS, ...viaRelay, "--frames", "30"], env(one));
  const b = new Peer(
    ["--peer", `127.0.0.1:${port}`, ...HEADLESS, ...viaRelay, "--frames", "30"],
    env(one),
  );
  // Pair 2: the direct path is refused (nobody listens there).
  const c = relayPeer(relay.port, "carol", two, ["--frames", "30"]);
  const d = new Peer(
    ["--peer", `127.0.0.1:${freePort()}`, ...HEADLESS, ...viaRelay, "--frames", "30"],
    env(two),
  );
  const codes = await exits([a, b, c, d]);
  assertEquals(codes, [0, 0, 0, 0], both(a, b) + both(c, d));
  for (const peer of [a, b]) {
    assertMatch(peer.stderr, /Connected directly to 127\.0\.0\.1:\d+/);
    assert(!/Connected via relay/.test(peer.stderr), peer.stderr);
    assertEquals(peer.summary().path, "direct");
  }
  assertMatch(d.stderr, /Waiting for the peer at 127\.0\.0\.1:\d+ \(connection refused/);
  for (const peer of [c, d]) {
    assertMatch(peer.stderr, /Connected via relay/);
    assertEquals(peer.summary().path, `via relay 127.0.0.1:${relay.port}`);
  }
});

Deno.test("an unreachable relay, one that never pairs, and a garbage one: one clear line each, no hang", async () => {
  await using relay = await TransitRelay.start();
  const garbage = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const answering = (async () => {
    for await (const conn of garbage) {
      conn.write(new TextEncoder().encode("HTTP/1.0 400 Bad Request\r\n\r\n"))
        .catch(() => {}).finally(() => conn.close());
    }
  })().catch(() => {});
  try {
    const code = generateCode();
    const t0 = performance.now();
    const unreachable = relayPeer(freePort(), "alice", code, ["--duration", "2"]);
    const lonely = relayPeer(relay.port, "bob", code, ["--duration", "2"]);
    const speaksHttp = relayPeer((garbage.addr as Deno.NetAddr).port, "carol", code, [
      "--duration",
      "30",
    ]);
    const codes = await Promise.all([unreachable.exit(), lonely.exit(), speaksHttp.exit()]);
    assertEquals(
      codes,
      [0, 0, 1],
      [unreachable, lonely, speaksHttp].map((p) => p.stderr).join("\n"),
    );
    assert(performance.now() - t0 < 15_000, "--duration did not end the wait");
    assertMatch(
      unreachable.stderr,
      /Waiting for the peer at relay 127\.0\.0\.1:\d+ \(connection refused; retrying until it answers\)/,
    );
    for (const peer of [unreachable, lonely]) {
      assertMatch(peer.stderr, /No peer connected within 2 s \(--duration\); ending/);
      assertEquals(peer.summary().path, null);
    }
    assertMatch(lonely.stderr, /Meeting the peer at relay/);
    const last = speaksHttp.stderr.trim().split("\n").at(-1)!;
    assertMatch(
      last,
      /^peercam: Cannot use relay 127\.0\.0\.1:\d+: it is not a transit relay \(it answered "HTTP\/1\.0 400 Bad Request"\)$/,
    );
    assert(!/\n\s+at /.test(speaksHttp.stderr), "a stack trace");
  } finally {
    garbage.close();
    await answering;
  }
});
