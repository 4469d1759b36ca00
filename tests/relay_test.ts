/**
 * The relay's pure parts (channel, request, answers, roles) and its
 * handshake against scripted fake relays on loopback. The real transit
 * relay is in relay_e2e_test.ts.
 */

import { parseCommandLine } from "../src/cli.ts";
import { CallError, UsageError } from "../src/errors.ts";
import { encodeHello, HelloFlag } from "../src/net/protocol.ts";
import {
  type ByteSource,
  checkRelayAnswer,
  dialRelay,
  joinRelay,
  MAX_ANSWER_BYTES,
  newSide,
  parseSideMessage,
  readRelayAnswer,
  relayChannel,
  RelayRefusedError,
  relayRequest,
  relayRole,
  RelayUnavailableError,
  withoutHalfClose,
} from "../src/net/relay.ts";
import { generateCode, normalizeCode } from "../src/net/secret.ts";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "./_assert.ts";
import { freePort } from "./_tools.ts";

const CODE = normalizeCode("7KQ2-M9XH-4TZR-B8WD-C3NP");

Deno.test("relayChannel() matches an independent HKDF-SHA-256 with the peercam label", async () => {
  // Computed with Python's hmac module: HKDF(salt = "", ikm = code,
  // info = "peercam v3 relay channel"). Catches a changed label, hash or salt,
  // which would silently stop two versions from meeting.
  assertEquals(
    await relayChannel(CODE),
    "1c197f6cef2e8520a32889a9eae232a236b1b542784e972c958a11d3abce3f10",
  );
});

Deno.test("relayChannel() is 64 hex digits, the same for one code, different per code", async () => {
  const a = await relayChannel(CODE);
  assertMatch(a, /^[0-9a-f]{64}$/);
  assertEquals(await relayChannel(CODE), a);
  const others = await Promise.all(
    Array.from({ length: 20 }, () => relayChannel(normalizeCode(generateCode()))),
  );
  assertEquals(new Set([a, ...others]).size, 21);
  // Neither the code nor its hex form appears in what the relay sees.
  const hexCode = [...new TextEncoder().encode(CODE)].map((b) => b.toString(16)).join("");
  assert(!a.toUpperCase().includes(CODE) && !a.includes(hexCode.slice(0, 16)));
});

Deno.test("newSide() is 16 hex digits and fresh each time", () => {
  const sides = Array.from({ length: 50 }, newSide);
  for (const side of sides) assertMatch(side, /^[0-9a-f]{16}$/);
  assertEquals(new Set(sides).size, 50);
});

Deno.test("relayRequest() is the transit relay's one line, and checks its parts", () => {
  const channel = "ab".repeat(32);
  assertEquals(
    new TextDecoder().decode(relayRequest(channel, "0123456789abcdef")),
    `please relay ${channel} for side 0123456789abcdef\n`,
  );
  assertThrows(() => relayRequest("ab", "0123456789abcdef"), RangeError);
  assertThrows(() => relayRequest(channel, "0123"), RangeError);
  assertThrows(() => relayRequest(channel.toUpperCase(), "0123456789abcdef"), RangeError);
});

Deno.test("checkRelayAnswer() accepts only ok, and names a refusal and garbage", () => {
  checkRelayAnswer("ok");
  const refused = assertThrows(() => checkRelayAnswer("bad handshake"), RelayRefusedError);
  assertMatch(refused.message, /refused the request \("bad handshake"\)/);
  assertThrows(() => checkRelayAnswer("impatient"), RelayRefusedError, "refused");
  const garbage = assertThrows(
    () => checkRelayAnswer("HTTP/1.1 400 Bad\x1b[2J"),
    RelayRefusedError,
  );
  assertMatch(garbage.message, /not a transit relay/);
  assert(!garbage.message.includes("\x1b"), "control characters reach the terminal");
  assertThrows(() => checkRelayAnswer("ok "), RelayRefusedError);
});

/** A byte source that hands out scripted chunks, then the end. */
function script(...chunks: string[]): ByteSource & { left: () => string } {
  const bytes = new TextEncoder().encode(chunks.join(""));
  let off = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (off >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, bytes.length - off);
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    left: () => new TextDecoder().decode(bytes.subarray(off)),
  };
}

Deno.test("readRelayAnswer() stops at the newline and leaves the peer's bytes unread", async () => {
  // The peer's side message may arrive in the same segment as "ok\n"; a
  // reader that takes a whole buffer would swallow it.
  const source = script("ok\npeercam side 0123456789abcdef\n");
  assertEquals(await readRelayAnswer(source), "ok");
  assertEquals(source.left(), "peercam side 0123456789abcdef\n");
});

Deno.test("readRelayAnswer() reports a close before the answer as unavailable (retried)", async () => {
  await assertRejects(() => readRelayAnswer(script()), RelayUnavailableError, "before pairing");
  await assertRejects(() => readRelayAnswer(script("o")), RelayUnavailableError, "mid-answer");
});

Deno.test("readRelayAnswer() bounds a line without a newline", async () => {
  const error = await assertRejects(
    () => readRelayAnswer(script("x".repeat(10_000))),
    RelayRefusedError,
  );
  assertMatch(error.message, new RegExp(`${MAX_ANSWER_BYTES} bytes without a newline`));
});

Deno.test("relayRole() gives the two sides opposite roles, and refuses a mirror", () => {
  for (let i = 0; i < 20; i++) {
    const [a, b] = [newSide(), newSide()];
    const roles = [relayRole(a, b), relayRole(b, a)].sort();
    assertEquals(roles, ["acceptor", "dialer"]);
  }
  assertEquals(relayRole("0000000000000001", "00000000000000ff"), "dialer");
  assertThrows(
    () => relayRole("0123456789abcdef", "0123456789abcdef"),
    RelayRefusedError,
    "itself",
  );
});

Deno.test("parseSideMessage() accepts exactly a peercam side message", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assertEquals(parseSideMessage(enc("peercam side 0123456789abcdef\n")), "0123456789abcdef");
  assertThrows(
    () => parseSideMessage(enc("peercam side 0123456789ABCDEF\n")),
    Error,
    "not peercam",
  );
  assertThrows(
    () => parseSideMessage(enc("PEERCAM side 0123456789abcdef\n")),
    Error,
    "not peercam",
  );
});

/** A fake relay on loopback: `serve` runs for each connection. */
function fakeRelay(
  serve: (conn: Deno.TcpConn) => Promise<void>,
): AsyncDisposable & { port: number } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.TcpConn[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      serve(conn).catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await loop;
    },
  };
}

async function readLine(conn: Deno.TcpConn): Promise<string> {
  const buf = new Uint8Array(200);
  let n = 0;
  // Up to the first newline; anything the client sent after it may come along.
  while (!buf.subarray(0, n).includes(0x0a)) {
    const got = await conn.read(buf.subarray(n));
    if (got === null) break;
    n += got;
  }
  return new TextDecoder().decode(buf.subarray(0, n));
}

const write = (conn: Deno.TcpConn, text: string) => conn.write(new TextEncoder().encode(text));

Deno.test("joinRelay() sends the request, then agrees on roles with the peer's side", async () => {
  const channel = await relayChannel(CODE);
  let request = "";
  await using relay = fakeRelay(async (conn) => {
    request = await readLine(conn);
    // "ok", then the peer's side message in the same write.
    await write(conn, "ok\npeercam side 0000000000000000\n");
    await readLine(conn); // our side message
  });
  const joined = await joinRelay({ hostname: "127.0.0.1", port: relay.port }, {
    channel,
    signal: new AbortController().signal,
  });
  assert(joined);
  joined.conn.close();
  assertMatch(request, new RegExp(`^please relay ${channel} for side [0-9a-f]{16}\\n$`));
  // The peer's side is all zeros, so ours is larger: we play the acceptor.
  assertEquals(joined.role, "acceptor");
});

Deno.test("joinRelay() names a relay that refuses, and one that speaks garbage", async () => {
  const channel = await relayChannel(CODE);
  const signal = new AbortController().signal;
  await using refusing = fakeRelay(async (conn) => {
    await readLine(conn);
    await write(conn, "bad handshake\n");
    conn.close();
  });
  await assertRejects(
    () => joinRelay({ hostname: "127.0.0.1", port: refusing.port }, { channel, signal }),
    RelayRefusedError,
    "refused the request",
  );
  await using garbage = fakeRelay(async (conn) => {
    await write(conn, "SSH-2.0-OpenSSH_9.2\r\n");
  });
  await assertRejects(
    () => joinRelay({ hostname: "127.0.0.1", port: garbage.port }, { channel, signal }),
    RelayRefusedError,
    "not a transit relay",
  );
  await using echo = fakeRelay(async (conn) => {
    await readLine(conn);
    await write(conn, "ok\n");
    await write(conn, await readLine(conn)); // our own side back
  });
  await assertRejects(
    () => joinRelay({ hostname: "127.0.0.1", port: echo.port }, { channel, signal }),
    RelayRefusedError,
    "itself",
  );
});

Deno.test("joinRelay() gives up on a relay that never pairs, and on one that is not there", async () => {
  const channel = await relayChannel(CODE);
  const signal = new AbortController().signal;
  await using silent = fakeRelay(async (conn) => {
    await readLine(conn);
  });
  const t0 = performance.now();
  await assertRejects(
    () =>
      joinRelay({ hostname: "127.0.0.1", port: silent.port }, {
        channel,
        signal,
        pairTimeoutMs: 200,
      }),
    RelayUnavailableError,
    "nobody else came",
  );
  assert(performance.now() - t0 < 2000);
  await assertRejects(
    () => joinRelay({ hostname: "127.0.0.1", port: freePort() }, { channel, signal }),
    RelayUnavailableError,
    "connection refused",
  );
});

Deno.test("joinRelay() returns null at once when aborted while waiting", async () => {
  const channel = await relayChannel(CODE);
  await using silent = fakeRelay(async (conn) => {
    await readLine(conn);
  });
  const stop = new AbortController();
  setTimeout(() => stop.abort(), 100);
  const t0 = performance.now();
  const joined = await joinRelay({ hostname: "127.0.0.1", port: silent.port }, {
    channel,
    signal: stop.signal,
  });
  assertEquals(joined, null);
  assert(performance.now() - t0 < 1000);
});

Deno.test("dialRelay() ends with a one-line CallError on a garbage relay, without retrying", async () => {
  let connections = 0;
  await using garbage = fakeRelay(async (conn) => {
    connections++;
    await write(conn, "<html>nope</html>\n");
  });
  const retries: string[] = [];
  const error = await assertRejects(
    () =>
      dialRelay({ hostname: "127.0.0.1", port: garbage.port }, {
        hello: { flags: 0, name: "a", code: CODE },
        channel: "ab".repeat(32),
        signal: new AbortController().signal,
        onRetry: (reason) => retries.push(reason),
      }),
    CallError,
  );
  assertMatch(error.message, /^Cannot use relay 127\.0\.0\.1:\d+: it is not a transit relay/);
  assert(!error.message.includes("\n"));
  assertEquals([connections, retries.length], [1, 0]);
});

Deno.test("dialRelay() retries an unreachable relay until aborted", async () => {
  const stop = new AbortController();
  const retries: string[] = [];
  const link = await dialRelay({ hostname: "127.0.0.1", port: freePort() }, {
    hello: { flags: 0, name: "a", code: CODE },
    channel: "ab".repeat(32),
    signal: stop.signal,
    onRetry: (reason, attempt) => {
      retries.push(reason);
      if (attempt === 2) stop.abort();
    },
  });
  assertEquals(link, null);
  assertEquals(retries, ["connection refused", "connection refused"]);
});

Deno.test("dialRelay() is refused by a busy peer on the first call, and retries while reconnecting", async () => {
  // A fake relay that pairs us with a lobby: the side message, then BUSY.
  const busy = encodeHello({ flags: HelloFlag.BUSY, name: "b" });
  await using lobby = fakeRelay(async (conn) => {
    await readLine(conn);
    await write(conn, "ok\npeercam side 0000000000000000\n");
    await readLine(conn);
    await conn.write(busy);
    conn.close();
  });
  const relay = { hostname: "127.0.0.1", port: lobby.port };
  const options = {
    hello: { flags: 0, name: "a", code: CODE },
    channel: "ab".repeat(32),
    signal: new AbortController().signal,
  };
  await assertRejects(() => dialRelay(relay, options), CallError, "already in a call");
  const stop = new AbortController();
  const retries: string[] = [];
  const link = await dialRelay(relay, {
    ...options,
    signal: stop.signal,
    retryBusy: true,
    onRetry: (reason) => {
      retries.push(reason);
      stop.abort();
    },
  });
  assertEquals(link, null);
  assertEquals(retries, ["the peer is still in the old call"]);
});

Deno.test("parseCommandLine() takes --relay alone with a code, and PEERCAM_RELAY", () => {
  const call = parseCommandLine(["--relay", "relay.example.org:4001", "--secret", CODE]);
  assert(call.kind === "call");
  assertEquals(call.options.relay, { hostname: "relay.example.org", port: 4001 });
  assertEquals([call.options.listen, call.options.peer], [undefined, undefined]);
  const env = parseCommandLine([], { relay: "[::1]:4001", secret: CODE });
  assert(env.kind === "call");
  assertEquals(env.options.relay, { hostname: "::1", port: 4001 });
  // The flag wins over the variable.
  const both = parseCommandLine(["--relay", "a:1"], { relay: "b:2", secret: CODE });
  assert(both.kind === "call");
  assertEquals(both.options.relay, { hostname: "a", port: 1 });
  // --secret new makes a code for a relay call too.
  const fresh = parseCommandLine(["--relay", "a:1", "--secret", "new"]);
  assert(fresh.kind === "call" && fresh.options.newCode && fresh.options.code !== undefined);
});

Deno.test("parseCommandLine() refuses a relay call without a code, and bad relay addresses", () => {
  const noCode = assertThrows(() => parseCommandLine(["--relay", "a:4001"]), UsageError);
  assertMatch(noCode.message, /^A call through a relay needs a secret code/);
  assertThrows(() => parseCommandLine([], { relay: "a:4001" }), UsageError, "needs a secret code");
  assertThrows(
    () => parseCommandLine(["--relay", "4001", "--secret", CODE]),
    UsageError,
    'Invalid --relay "4001": expected HOST:PORT',
  );
  assertThrows(
    () => parseCommandLine([], { relay: "a:0", secret: CODE }),
    UsageError,
    "Invalid PEERCAM_RELAY",
  );
  assertThrows(
    () => parseCommandLine(["--demo", "--relay", "a:1", "--secret", CODE]),
    UsageError,
    "--relay",
  );
});

Deno.test("joinRelay() returns null at once when aborted while still connecting", async () => {
  // An abort that lands between the TCP connect and the wait for pairing
  // must not leave the connection waiting out the pairing timeout.
  const channel = await relayChannel(CODE);
  await using silent = fakeRelay(async (conn) => {
    await readLine(conn);
  });
  const stop = new AbortController();
  const t0 = performance.now();
  const joining = joinRelay({ hostname: "127.0.0.1", port: silent.port }, {
    channel,
    signal: stop.signal,
  });
  stop.abort();
  assertEquals(await joining, null);
  assert(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
});

Deno.test("withoutHalfClose() keeps the connection open for writing, and everything else works", async () => {
  // Over the transit relay a half-close tears down both sides at once and
  // can reset the peer's connection before it reads our goodbye.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const raw = await Deno.connect({
    hostname: "127.0.0.1",
    port: (listener.addr as Deno.NetAddr).port,
  });
  const other = await accepting;
  listener.close();
  const conn = withoutHalfClose(raw);
  await conn.write(new TextEncoder().encode("bye"));
  await conn.closeWrite();
  // The other end has the bytes and no end of stream: a read waits.
  const buf = new Uint8Array(16);
  assertEquals(await other.read(buf), 3);
  const next = other.read(buf);
  const outcome = await Promise.race([
    next,
    new Promise((r) => setTimeout(() => r("waiting"), 200)),
  ]);
  assertEquals(outcome, "waiting");
  // Writing still works after the (ignored) half-close, and so do the getters.
  await conn.write(new TextEncoder().encode("!"));
  assertEquals(await next, 1);
  assertEquals((conn.remoteAddr as Deno.NetAddr).port, (other.localAddr as Deno.NetAddr).port);
  conn.close();
  assertEquals(await other.read(buf), null);
  other.close();
});
