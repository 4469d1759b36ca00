/**
 * `--serve`'s parts without a call: the frame slot, the token rule, the
 * flags, and the server fed frames in-process (real HTTP on loopback).
 */

import { parseCommandLine, parseServe } from "../src/cli.ts";
import { HELP } from "../src/help.ts";
import { CallError, UsageError } from "../src/errors.ts";
import type { FrameInfo } from "../src/receive/fanout.ts";
import { ConnectionGate } from "../src/serve/gate.ts";
import { CallServer, MAX_STREAMS } from "../src/serve/http_server.ts";
import { LatestJpeg, partHeader } from "../src/serve/latest_jpeg.ts";
import { pageHtml } from "../src/serve/page.ts";
import { isLoopback, newToken, tokenMatches, tokenProblem } from "../src/serve/token.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";
import { isJpeg, MjpegReader } from "./_mjpeg.ts";

const none = { permissions: "none" } as const;

function info(seq: number): FrameInfo {
  return { seq, peerTime: 0, localTime: 1_700_000_000_000 + seq };
}

/** A fake JPEG of `n` bytes whose body says `seq` (SOI ... EOI). */
function jpeg(seq: number, n = 1000): Uint8Array {
  const bytes = new Uint8Array(n).fill(seq & 0xff);
  bytes.set([0xff, 0xd8], 0);
  bytes.set([0xff, 0xd9], n - 2);
  return bytes;
}

function open(options: { token?: string; hostname?: string } = {}): CallServer {
  return CallServer.open({ hostname: options.hostname ?? "127.0.0.1", port: 0 }, {
    token: options.token,
    selfName: "ann",
    status: () => ({ peer: "bob <b>", phase: "connected", stats: null }),
  });
}

// Catches: a header missing a field the MJPEG clients read, or a wrong line ending.
Deno.test(
  { name: "partHeader() has the mjpg-streamer fields and ends with a blank line", ...none },
  () => {
    assertEquals(
      partHeader({ length: 1234, seq: 7, timestamp: 1.5 }),
      "--boundarydonotcross\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n" +
        "X-Timestamp: 1.500000\r\nX-Sequence: 7\r\n\r\n",
    );
  },
);

// Catches: keeping a view of the caller's buffer (the fan-out reuses it for the next frame).
Deno.test({ name: "LatestJpeg.put() keeps its own copy", ...none }, () => {
  const slot = new LatestJpeg();
  const bytes = jpeg(1);
  slot.put(bytes, info(1));
  bytes.fill(0);
  assertEquals(slot.frame!.jpeg, jpeg(1));
  assertEquals([slot.frame!.seq, slot.frame!.version], [1, 1]);
});

// Catches: reusing the buffer of a frame a client still holds (its bytes
// would change under a stream or a snapshot being sent).
Deno.test({ name: "LatestJpeg.put() never overwrites a frame handed out", ...none }, async () => {
  const slot = new LatestJpeg();
  slot.put(jpeg(1), info(1));
  const taken = await slot.next(0); // handed out at once
  const woken = slot.next(1); // handed out when it comes
  slot.put(jpeg(2), info(2));
  const second = await woken;
  slot.put(jpeg(3), info(3)); // nobody took it: its buffer may be reused
  slot.put(jpeg(4), info(4));
  const got = slot.frame; // handed out by the getter
  slot.put(jpeg(5, 2000), info(5));
  slot.put(jpeg(6), info(6));
  assertEquals([taken!.jpeg, second!.jpeg, got!.jpeg], [jpeg(1), jpeg(2), jpeg(4)]);
  assertEquals(slot.frame!.jpeg, jpeg(6));
});

// Catches: a per-client queue (the slow client would get frame 2, not the newest).
Deno.test({ name: "LatestJpeg.next() gives a slow client the newest frame", ...none }, async () => {
  const slot = new LatestJpeg();
  for (let seq = 1; seq <= 5; seq++) slot.put(jpeg(seq), info(seq));
  const frame = await slot.next(1);
  assertEquals([frame?.seq, frame?.version], [5, 5]);
});

// Catches: next() returning the frame already sent (a busy loop resending it),
// or never waking a waiting client.
Deno.test(
  { name: "LatestJpeg.next() waits for a newer frame, shared by all waiters", ...none },
  async () => {
    const slot = new LatestJpeg();
    slot.put(jpeg(1), info(1));
    const waits = [slot.next(1), slot.next(1), slot.next(1)];
    let settled = false;
    waits[0]!.then(() => settled = true);
    await Promise.resolve();
    assertEquals([settled, slot.waiting], [false, 3]);
    slot.put(jpeg(2), info(2));
    const frames = await Promise.all(waits);
    assert(frames.every((f) => f === frames[0] && f?.seq === 2), "one shared frame for all");
    assertEquals(slot.waiting, 0);
  },
);

// Catches: a waiter left behind when its client goes away (memory growing per disconnect).
Deno.test({ name: "LatestJpeg.next() ends with null on abort and on close", ...none }, async () => {
  const slot = new LatestJpeg();
  const abort = new AbortController();
  const aborted = slot.next(0, abort.signal);
  const closed = slot.next(0);
  abort.abort();
  assertEquals(await aborted, null);
  assertEquals(slot.waiting, 1);
  slot.close();
  assertEquals(await closed, null);
  assertEquals(slot.waiting, 0);
  slot.put(jpeg(1), info(1));
  assertEquals(slot.frame, null);
});

// Catches: treating 127.0.0.2 as needing a token, or 0.0.0.0 / a LAN address as not.
Deno.test({ name: "isLoopback() is true only for 127.0.0.0/8, ::1 and localhost", ...none }, () => {
  for (const host of ["127.0.0.1", "127.0.0.2", "127.255.255.254", "localhost", "::1", "[::1]"]) {
    assert(isLoopback(host), host);
  }
  for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "127.0.0.1.nip.io", "fe80::1"]) {
    assert(!isLoopback(host), host);
  }
});

// Catches: a short or predictable token, a comparison that accepts a prefix.
Deno.test({ name: "newToken(), tokenMatches() and tokenProblem()", ...none }, () => {
  const a = newToken();
  assertMatch(a, /^[A-Za-z0-9_-]{22}$/);
  assert(a !== newToken());
  assertEquals(tokenProblem(a), null);
  assert(tokenMatches(a, a));
  for (const wrong of [null, "", a.slice(0, -1), `${a}x`, a.replace(/.$/, "?")]) {
    assert(!tokenMatches(wrong, a), String(wrong));
  }
  for (const bad of ["short", "has space in it ok?", "x".repeat(129), 'quote"quote"quote"']) {
    assert(tokenProblem(bad) !== null, bad);
  }
});

// Catches: a default host other than loopback (serving the call to the network by default).
Deno.test({ name: "parseServe() defaults to 127.0.0.1 and rejects bad values", ...none }, () => {
  assertEquals(parseServe("8080"), { hostname: "127.0.0.1", port: 8080 });
  assertEquals(parseServe("0.0.0.0:8080"), { hostname: "0.0.0.0", port: 8080 });
  assertEquals(parseServe("[::1]:0"), { hostname: "::1", port: 0 });
  for (const bad of ["", "x", ":80", "65536", "host:", "::1:80"]) {
    assertThrows(() => parseServe(bad), UsageError, "--serve");
  }
});

Deno.test({ name: "parseCommandLine() reads --serve and checks --serve-token", ...none }, () => {
  const parse = (...args: string[]) => parseCommandLine(["--listen", "2000", ...args]);
  const c = parse("--serve", "8080", "--serve-token", "abcdefghijklmnop");
  assert(c.kind === "call");
  assertEquals([c.options.serve, c.options.serveToken], [
    { hostname: "127.0.0.1", port: 8080 },
    "abcdefghijklmnop",
  ]);
  assertThrows(() => parse("--serve-token", "abcdefghijklmnop"), UsageError, "needs --serve");
  assertThrows(() => parse("--serve", "1", "--serve-token", "a b"), UsageError, "--serve-token");
});

// Catches: a flag left out of --help.
Deno.test({ name: "HELP lists --serve and --serve-token", ...none }, () => {
  assertMatch(HELP, /--serve \[HOST:\]PORT +serve the call over HTTP/);
  assertMatch(HELP, /--serve-token TOKEN +the token to require/);
});

// Catches: the page interpolating a value into HTML or script unescaped.
Deno.test({ name: "pageHtml() carries the query safely and has no external URL", ...none }, () => {
  const html = pageHtml({ query: "?token=</script><b>", nonce: "n0nce" });
  assert(!html.includes("</script><b>"));
  assert(html.includes('nonce="n0nce"'));
  assert(!/(src|href)="?(https?:)?\/\//.test(html), "no external assets");
});

// Catches: a video box whose height follows the picture (`height: auto`,
// `max-height`): it would jump when the peer's frames change shape, and the
// stats line with it (the real layout is measured in serve_e2e_test.ts).
Deno.test(
  { name: "pageHtml(): the peer's video is a fixed box, the picture fit into it", ...none },
  () => {
    const html = pageHtml({ query: "", nonce: "n" });
    const rule = /#peer \{([^}]*)\}/.exec(html)?.[1]?.replace(/\s+/g, " ") ?? "";
    const props = new Map(
      rule.split(";").map((p) => p.split(":").map((v) => v.trim())).filter((p) => p[0])
        .map((p) => [p[0]!, p[1]!]),
    );
    assertEquals(props.get("width"), "100%");
    assertEquals(props.get("height"), "calc(100vh - 90px)");
    assertEquals(props.get("object-fit"), "contain");
    assertEquals(props.get("max-height"), undefined);
  },
);

Deno.test("CallServer serves snapshot, stats, page and 404", async () => {
  const server = open();
  const base = `http://127.0.0.1:${server.port}`;
  try {
    assertEquals(server.url, `${base}/`);
    let r = await fetch(`${base}/snapshot`);
    assertEquals(r.status, 503);
    await r.body?.cancel();
    const bytes = jpeg(9, 5000);
    server.packet(bytes, info(9));
    for (const path of ["/snapshot", "/?action=snapshot"]) {
      r = await fetch(base + path);
      assertEquals([r.status, r.headers.get("content-type")], [200, "image/jpeg"]);
      assertEquals(r.headers.get("x-sequence"), "9");
      assertMatch(r.headers.get("cache-control") ?? "", /no-cache/);
      assertEquals(new Uint8Array(await r.arrayBuffer()), bytes);
    }
    r = await fetch(`${base}/stats`);
    const stats = await r.json();
    assertEquals([stats.self, stats.peer, stats.frame.seq], ["ann", "bob <b>", 9]);
    r = await fetch(`${base}/`);
    assertMatch(r.headers.get("content-security-policy") ?? "", /script-src 'nonce-/);
    assertMatch(await r.text(), /<img id="peer"/);
    r = await fetch(`${base}/nope`);
    assertEquals(r.status, 404);
    await r.body?.cancel();
    r = await fetch(`${base}/stats`, { method: "POST", body: "x".repeat(100_000) });
    assertEquals(r.status, 405);
    await r.body?.cancel();
  } finally {
    await server.close();
  }
});

// Catches: a stream that resends the same frame, breaks the framing, or copies
// per client; and clients that do not all get every new frame.
Deno.test("CallServer streams each new frame to 20 clients at once", async () => {
  const server = open();
  const base = `http://127.0.0.1:${server.port}`;
  try {
    server.packet(jpeg(1), info(1));
    const readers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const r = await fetch(`${base}/${i % 2 ? "stream" : "?action=stream"}`);
        assertEquals(
          r.headers.get("content-type"),
          "multipart/x-mixed-replace;boundary=boundarydonotcross",
        );
        return new MjpegReader(r.body!);
      }),
    );
    const first = await Promise.all(readers.map((r) => r.next()));
    assert(first.every((p) => p.headers.get("x-sequence") === "1" && isJpeg(p.jpeg)));
    assertEquals(server.streams, 20);
    server.packet(jpeg(2, 3000), info(2));
    const second = await Promise.all(readers.map((r) => r.next()));
    for (const part of second) {
      assertEquals(part.headers.get("x-sequence"), "2");
      assertEquals(part.headers.get("content-type"), "image/jpeg");
      assertMatch(part.headers.get("x-timestamp") ?? "", /^1700000000\.002\d*$/);
      assertEquals(part.jpeg, jpeg(2, 3000));
    }
    await Promise.all(readers.map((r) => r.cancel()));
    // The server notices the clients leave and stops counting them.
    for (let i = 0; i < 50 && server.streams > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      server.packet(jpeg(3), info(3));
    }
    assertEquals(server.streams, 0);
  } finally {
    await server.close();
  }
});

// Catches: unbounded streams (each holds a connection and a frame).
Deno.test("CallServer refuses streams beyond MAX_STREAMS with 503", async () => {
  const server = open();
  const base = `http://127.0.0.1:${server.port}`;
  const bodies: ReadableStream[] = [];
  try {
    for (let i = 0; i < MAX_STREAMS; i++) bodies.push((await fetch(`${base}/stream`)).body!);
    const r = await fetch(`${base}/stream`);
    assertEquals(r.status, 503);
    await r.body?.cancel();
  } finally {
    await Promise.all(bodies.map((b) => b.cancel()));
    await server.close();
  }
});

// Catches: a token that is not checked on every URL, or is checked but not required.
Deno.test("CallServer with a token answers 403 without it and 200 with it", async () => {
  const token = "abcdefghijklmnopqrst";
  const server = open({ token });
  const base = `http://127.0.0.1:${server.port}`;
  try {
    assertEquals(server.url, `${base}/?token=${token}`);
    server.packet(jpeg(1), info(1));
    for (const path of ["/", "/stream", "/snapshot", "/stats", "/self/stream", "/?action=stream"]) {
      for (const q of ["", "?token=wrong", `?token=${token}x`]) {
        const sep = path.includes("?") && q ? "&" + q.slice(1) : q;
        const r = await fetch(base + path + sep);
        assertEquals(r.status, 403, path + sep);
        await r.body?.cancel();
      }
    }
    const r = await fetch(`${base}/snapshot?token=${token}`);
    assertEquals(r.status, 200);
    await r.body?.cancel();
    const page = await (await fetch(server.url)).text();
    assert(page.includes(`?token=${token}`), "the page's own URLs carry the token");
  } finally {
    await server.close();
  }
});

// Catches: a wildcard bind served without a token.
Deno.test("CallServer on 0.0.0.0 makes a token and requires it", async () => {
  const server = open({ hostname: "0.0.0.0" });
  try {
    const token = /\?token=([A-Za-z0-9_-]{22})$/.exec(server.url)?.[1];
    assert(token, server.url);
    const r = await fetch(`http://127.0.0.1:${server.port}/stats`);
    assertEquals(r.status, 403);
    await r.body?.cancel();
    const ok = await fetch(`http://127.0.0.1:${server.port}/stats?token=${token}`);
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await server.close();
  }
});

// Catches: an uncaught AddrInUse (a stack trace) instead of one line.
Deno.test("CallServer.open() on a busy port is a CallError naming --serve", () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const status = () => ({ peer: null, phase: "", stats: null });
    assertThrows(
      () => CallServer.open({ hostname: "127.0.0.1", port }, { selfName: "a", status }),
      CallError,
      `Cannot serve on 127.0.0.1:${port} (--serve): the port is in use`,
    );
  } finally {
    busy.close();
  }
});

async function rawRequest(port: number, request: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(request).catch(() => {});
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf).catch(() => null);
    return n === null ? "" : new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    conn.close();
  }
}

// Catches: a server that crashes, hangs or buffers without bound on hostile input.
Deno.test("CallServer survives malformed, huge and idle connections", async () => {
  const server = open();
  const port = server.port;
  const idle: Deno.Conn[] = [];
  try {
    const enc = new TextEncoder();
    assertMatch(
      await rawRequest(port, enc.encode("NOT HTTP AT ALL\r\n\r\n")),
      /^(HTTP\/1\.1 400|$)/,
    );
    const huge = enc.encode(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(2_000_000)}\r\n\r\n`);
    assertMatch(await rawRequest(port, huge), /^(HTTP\/1\.1 4\d\d|$)/);
    const longUrl = enc.encode(`GET /${"a".repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assertMatch(await rawRequest(port, longUrl), /^HTTP\/1\.1 414/);
    for (let i = 0; i < 200; i++) idle.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    const r = await fetch(`http://127.0.0.1:${port}/stats`);
    assertEquals(r.status, 200);
    await r.body?.cancel();
  } finally {
    for (const conn of idle) conn.close();
    await server.close();
  }
});

// Catches: a gate that lets connections pile up past its cap, or keeps a
// connection whose request never ends (slowloris) for ever.
Deno.test("ConnectionGate caps connections and closes those never answered", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/s.sock`;
  const server = Deno.serve({ path, onListen: () => {} }, () => new Response("ok"));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const gate = new ConnectionGate(listener, path, { maxConnections: 3, firstAnswerMs: 1000 });
  const conns: Deno.Conn[] = [];
  const closedWithin = async (conn: Deno.Conn, ms: number): Promise<boolean> => {
    const read = conn.read(new Uint8Array(64)).then((n) => n === null).catch(() => true);
    const timeout = new Promise<false>((r) => setTimeout(() => r(false), ms));
    return await Promise.race([read, timeout]);
  };
  try {
    for (let i = 0; i < 4; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await conns[0]!.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    assert(await closedWithin(conns[3]!, 200), "the fourth is refused");
    assertEquals(gate.open, 3);
    assert(await closedWithin(conns[0]!, 3000), "the never-ending request is closed");
    const r = await fetch(`http://127.0.0.1:${port}/`);
    assertEquals(await r.text(), "ok");
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed by the gate */ }
    }
    await gate.close();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
