/**
 * End to end: real `main.ts` processes on loopback, headless, with the test
 * source. Frames cross real sockets and are really decoded.
 */

import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { encodeHello, HEADER_SIZE, MessageType, now, writeHeader } from "../src/net/protocol.ts";
import type { StatsSummary } from "../src/stats.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dialledBy, HEADLESS, listening, Peer, runPeer } from "./_peer.ts";
import { freePort, makeClip } from "./_tools.ts";

function assertGoodCall(s: StatsSummary, frames: number, from: string): void {
  assert(s.frames_decoded >= frames, `${from}: decoded ${s.frames_decoded} < ${frames}`);
  assertEquals(s.decode_errors, 0, `${from}: decode errors`);
  assertEquals([s.frame_width, s.frame_height], [320, 240], `${from}: frame size`);
  assert(s.frames_received >= s.frames_decoded && s.bytes_received > s.frames_received * 1000);
  assertEquals(s.end, "done");
  assert(s.latency_ms_p50 !== null && s.latency_ms_p95 !== null);
}

/** Asserts a failure message is one line with no stack trace. */
function assertOneLine(stderr: string, includes: string): void {
  const lines = stderr.trim().split("\n");
  const last = lines.at(-1)!;
  assert(last.startsWith("peercam: ") && last.includes(includes), `got:\n${stderr}`);
  assert(!/^\s+at /m.test(stderr), `stack trace in:\n${stderr}`);
}

async function twoPeers(aArgs: string[], bArgs: string[], bFirst = false): Promise<[Peer, Peer]> {
  const first = new Peer(bFirst ? bArgs : aArgs);
  await first.waitFor(/Waiting for the peer|Listening on|Calling/);
  const second = new Peer(bFirst ? aArgs : bArgs);
  return bFirst ? [second, first] : [first, second];
}

for (const bFirst of [false, true]) {
  Deno.test(`two peers with --listen and --peer each exchange 150 frames (${bFirst ? "B" : "A"} starts first)`, async () => {
    const pa = freePort(), pb = freePort();
    const common = [...HEADLESS, "--frames", "150", "--stats", "json"];
    const [a, b] = await twoPeers(
      ["--listen", `127.0.0.1:${pa}`, "--peer", `127.0.0.1:${pb}`, "--name", "A", ...common],
      ["--listen", `127.0.0.1:${pb}`, "--peer", `127.0.0.1:${pa}`, "--name", "B", ...common],
      bFirst,
    );
    const [ca, cb] = await Promise.all([a.exit(), b.exit()]);
    assertEquals([ca, cb], [0, 0], `A:\n${a.stderr}\nB:\n${b.stderr}`);
    assertGoodCall(a.summary(), 150, "A");
    assertGoodCall(b.summary(), 150, "B");
    assertEquals(a.summary().peer, "B");
    assert(a.json().some((l) => l.type === "stats"), "per-second stats lines");
    // The one that started first said it was waiting.
    assertMatch(
      (bFirst ? b : a).stderr,
      /Waiting for the peer at 127\.0\.0\.1:\d+ \(connection refused/,
    );
  });
}

for (const listenerFirst of [true, false]) {
  Deno.test(`one connection carries both directions (${listenerFirst ? "listener" : "dialler"} starts first)`, async () => {
    const port = freePort();
    const common = [...HEADLESS, "--frames", "100", "--stats", "json"];
    const [a, b] = await twoPeers(
      ["--listen", `127.0.0.1:${port}`, ...common],
      ["--peer", `127.0.0.1:${port}`, ...common],
      !listenerFirst,
    );
    const [ca, cb] = await Promise.all([a.exit(), b.exit()]);
    assertEquals([ca, cb], [0, 0], `A:\n${a.stderr}\nB:\n${b.stderr}`);
    assertGoodCall(a.summary(), 100, "listener");
    assertGoodCall(b.summary(), 100, "dialler");
  });
}

Deno.test("a side without a limit keeps going until the limited side is satisfied", async () => {
  const port = freePort();
  const [a, b] = await twoPeers(
    ["--listen", `127.0.0.1:${port}`, ...HEADLESS, "--stats", "json"],
    [
      "--peer",
      `127.0.0.1:${port}`,
      ...HEADLESS,
      "--frames",
      "40",
      "--stats",
      "json",
      "--fps",
      "60",
    ],
  );
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  assert(b.summary().frames_decoded >= 40);
  assertMatch(a.stderr, /Call complete/);
});

Deno.test("one peer quitting (Ctrl-C) ends the other cleanly with exit 0", async () => {
  const port = freePort();
  const [a, b] = await twoPeers(
    ["--listen", `127.0.0.1:${port}`, ...HEADLESS, "--name", "Quitter", "--stats", "json"],
    ["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--stats", "json"],
  );
  await b.waitFor("In a call");
  await new Promise((r) => setTimeout(r, 1500));
  a.child.kill("SIGINT");
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  assertMatch(a.stderr, /Interrupted \(Ctrl-C\); ending the call/);
  assertMatch(b.stderr, /"Quitter" ended the call/);
  assertEquals(b.summary().end, "peer-quit");
  assert(b.summary().frames_decoded > 10);
});

Deno.test("a peer that never appears: a waiting status, and --duration ends it", async () => {
  const port = freePort();
  const r = await runPeer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--duration", "2"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(
    r.stderr,
    new RegExp(`Waiting for the peer at 127\\.0\\.0\\.1:${port} \\(connection refused`),
  );
  assertMatch(r.stderr, /No peer connected within 2 s/);
  const l = await runPeer(["--listen", `127.0.0.1:${port}`, ...HEADLESS, "--duration", "1"]);
  assertEquals(l.code, 0, l.stderr);
  assertMatch(l.stderr, new RegExp(`Waiting for the peer on 127\\.0\\.0\\.1:${port}`));
});

Deno.test("a port in use fails with one clear line and exit 1", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const r = await runPeer(["--listen", `127.0.0.1:${port}`, ...HEADLESS]);
    assertEquals(r.code, 1);
    assertOneLine(r.stderr, `Cannot listen on 127.0.0.1:${port}: port ${port} is already in use`);
  } finally {
    busy.close();
  }
});

Deno.test("peers started in different modes are told how to start them", async () => {
  const pa = freePort(), pb = freePort();
  const a = new Peer(["--listen", `127.0.0.1:${pa}`, "--peer", `127.0.0.1:${pb}`, ...HEADLESS]);
  await a.waitFor("Listening on");
  const b = new Peer(["--peer", `127.0.0.1:${pa}`, ...HEADLESS]);
  assertEquals(await Promise.all([a.exit(), b.exit()]), [1, 1]);
  assertOneLine(a.stderr, "was started with only one of --listen/--peer, this side with both");
  assertOneLine(b.stderr, "was started with both --listen and --peer, this side with one");
});

Deno.test("dialling something that is not peercam fails clearly", async () => {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of server) {
      await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n")).catch(
        () => {},
      );
      conn.close();
    }
  })();
  try {
    const port = (server.addr as Deno.NetAddr).port;
    const r = await runPeer(["--peer", `127.0.0.1:${port}`, ...HEADLESS]);
    assertEquals(r.code, 1);
    assertOneLine(
      r.stderr,
      `Cannot call 127.0.0.1:${port}: Not a peercam peer: wrong magic in hello`,
    );
  } finally {
    server.close();
    await serving.catch(() => {});
  }
});

Deno.test("the listener turns away garbage and still takes the real peer", async () => {
  const port = freePort();
  const a = await listening(port, [...HEADLESS, "--frames", "30", "--stats", "json"]);
  const junk = await Deno.connect({ hostname: "127.0.0.1", port });
  await junk.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  await a.waitFor("Turned away a connection from 127.0.0.1");
  junk.close();
  const b = new Peer(["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--frames", "30"]);
  assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
  assert(a.summary().frames_decoded >= 30);
});

/** A scripted fake peer: greets, then runs `script` on the connection. */
async function fakePeer(
  script: (writer: MessageWriter, conn: Deno.TcpConn, reader: MessageReader) => Promise<void>,
  args: string[] = ["--source", "none"],
): Promise<{ code: number; stderr: string; peer: Peer }> {
  const { peer, conn } = await dialledBy(args);
  const writer = new MessageWriter(conn);
  const reader = new MessageReader(conn);
  await writer.writeHello(encodeHello({ flags: 4, name: "fake" }));
  await reader.readHello();
  await script(writer, conn, reader);
  const code = await peer.exit();
  try {
    conn.close();
  } catch { /* closed by the script */ }
  return { code, stderr: peer.stderr, peer };
}

function rawFrame(length: number, declared = length): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(HEADER_SIZE + length);
  writeHeader(new DataView(buf.buffer), 0, {
    length: declared,
    type: MessageType.FRAME,
    seq: 0,
    timestamp: Date.now(),
  });
  return buf;
}

Deno.test("a peer whose stream ends mid-message is an error (exit 1)", async () => {
  const r = await fakePeer(async (_, conn) => {
    await conn.write(rawFrame(100, 5000));
    conn.close();
  });
  assertEquals(r.code, 1);
  assertOneLine(r.stderr, "Truncated message: stream ended after 100 of 5000 payload bytes");
});

Deno.test("a peer that hangs up between messages ends the call (exit 0)", async () => {
  const r = await fakePeer(async (_, conn) => {
    await new Promise((res) => setTimeout(res, 300));
    conn.close();
  });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /The peer hung up/);
});

Deno.test("an oversized declared length is refused (exit 1)", async () => {
  const r = await fakePeer(async (_, conn) => {
    await conn.write(rawFrame(0, 0x7fffffff));
  });
  assertEquals(r.code, 1);
  assertOneLine(r.stderr, "Message too large: type 1 declares 2147483647 bytes");
});

Deno.test("corrupt frames count as decode errors and the call goes on", async () => {
  const r = await fakePeer(async (writer) => {
    const junk = rawFrame(64);
    junk.fill(0xab, HEADER_SIZE);
    for (let i = 0; i < 3; i++) await writer.writeFrame(junk, 64, i, Date.now());
    await new Promise((res) => setTimeout(res, 300));
    await writer.writeBye(0);
  });
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stderr, /Received a frame that does not decode/);
  assertMatch(r.stderr, /"fake" ended the call/);
});

// Reads the next FRAME, answering PINGs as a real peer does; with when its
// first and last bytes arrived (this process shares peercam's clock).
async function nextFrame(
  reader: MessageReader,
  writer: MessageWriter,
  payload: Uint8Array<ArrayBuffer>,
): Promise<{ seq: number; timestamp: number; firstByte: number; lastByte: number }> {
  while (true) {
    const h = await reader.readHeader();
    const firstByte = now();
    assert(h, "the stream ended");
    if (h.type === MessageType.PING) {
      writer.writePong(h.timestamp, firstByte).catch(() => {});
      continue;
    }
    if (h.length > 0) await reader.readPayload(payload);
    if (h.type !== MessageType.FRAME) continue; // PONG, PAUSED...
    return { seq: h.seq, timestamp: h.timestamp, firstByte, lastByte: now() };
  }
}

Deno.test("a sender never queues frames behind a peer that does not keep up (--no-adapt)", async () => {
  const r = await fakePeer(async (writer, _, reader) => {
    const payload = new Uint8Array(1 << 20);
    const next = () => nextFrame(reader, writer, payload);
    const frames: Array<Awaited<ReturnType<typeof next>>> = [];
    // Without acknowledgements the sender stops after 3 frames...
    for (let i = 0; i < 3; i++) frames.push(await next());
    assertEquals(frames.map((f) => f.seq), [0, 1, 2]);
    const pending = next();
    const stalled = await Promise.race([
      pending.then(() => "sent more"),
      new Promise((res) => setTimeout(() => res("waited"), 1000)),
    ]);
    assertEquals(stalled, "waited");
    // ...and when the peer catches up, it sends the newest capture, not the
    // frame that was next a second ago.
    const last = frames[2]!;
    await writer.writeAck(2, last.firstByte, last.lastByte);
    const fresh = await pending;
    assertEquals(fresh.seq, 3);
    const age = Date.now() - fresh.timestamp;
    assert(age < 1000 && fresh.timestamp - frames[2]!.timestamp > 800, `frame age ${age} ms`);
    await writer.writeBye(0);
  }, ["--fps", "30", "--no-adapt"]);
  assertEquals(r.code, 0, r.stderr);
});

// Catches a rate-controlled sender that sends a burst to a peer it has not
// heard from, that stays stuck after the first ACK, and one whose checks
// reject a real peer's times (a clock or unit mismatch would count every
// ACK in ack_times_ignored).
Deno.test("with rate control, a sender sends one frame until the peer acknowledges, then follows its ACKs", async () => {
  const r = await fakePeer(async (writer, _, reader) => {
    const payload = new Uint8Array(1 << 20);
    const next = () => nextFrame(reader, writer, payload);
    const first = await next();
    assertEquals(first.seq, 0);
    const pending = next();
    const stalled = await Promise.race([
      pending.then(() => "sent more"),
      new Promise((res) => setTimeout(() => res("waited"), 1000)),
    ]);
    assertEquals(stalled, "waited", "one frame in flight before the first ACK");
    await writer.writeAck(0, first.firstByte, first.lastByte);
    const fresh = await pending;
    assertEquals(fresh.seq, 1);
    const age = Date.now() - fresh.timestamp;
    assert(age < 1000 && fresh.timestamp - first.timestamp > 800, `frame age ${age} ms`);
    // Acknowledged as they arrive, frames keep coming.
    let frame = fresh, count = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await writer.writeAck(frame.seq, frame.firstByte, frame.lastByte);
      frame = await next();
      count++;
    }
    assert(count >= 15, `${count} frames in 1.5 s at 30 fps`);
    await writer.writeBye(0);
  }, ["--fps", "30", "--stats", "json"]);
  assertEquals(r.code, 0, r.stderr);
  const s = r.peer.summary();
  assertEquals(s.ack_times_ignored, 0, "a real peer's times are sensible");
  assert(s.frames_sent >= 17, `sent ${s.frames_sent}`);
});

Deno.test("an MJPEG file at the frame size is sent as it is; --quality re-encodes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 20);
    for (const quality of [[], ["--quality", "50"]]) {
      const port = freePort();
      const [a, b] = await twoPeers(
        [
          "--listen",
          `127.0.0.1:${port}`,
          ...HEADLESS,
          "--source",
          "none",
          "--frames",
          "40",
          "--stats",
          "json",
        ],
        ["--peer", `127.0.0.1:${port}`, ...HEADLESS, "--source", clip, ...quality],
      );
      assertEquals(await Promise.all([a.exit(), b.exit()]), [0, 0], `${a.stderr}\n${b.stderr}`);
      assertGoodCall(a.summary(), 40, "receiver");
      assertEquals(/sending its frames as they are/.test(b.stderr), quality.length === 0, b.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
