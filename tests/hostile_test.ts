/**
 * Against a running peer: garbage, an HTTP request, a hello followed by an
 * oversized length, a flood of silent connections, a flood of garbage, a
 * wrong code — and then the real peer still gets a working call. And a peer
 * in a call whose ACKs carry absurd times.
 */

import { delay } from "../src/async.ts";
import { MAX_PENDING } from "../src/net/acceptor.ts";
import { HANDSHAKE_TIMEOUT_MS } from "../src/net/connect.ts";
import { generateCode } from "../src/net/secret.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { encodeHello, HEADER_SIZE, MessageType, now, writeHeader } from "../src/net/protocol.ts";
import type { StatsLine } from "../src/stats.ts";
import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { dialledBy, HEADLESS, listening, Peer } from "./_peer.ts";
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

// A message as bytes, every field as given (no writer to tidy anything up).
function raw(type: number, seq: number, timestamp: number, payload: number[] = []): Uint8Array {
  const buf = new Uint8Array(HEADER_SIZE + payload.length * 8);
  const view = new DataView(buf.buffer);
  writeHeader(view, 0, { length: payload.length * 8, type, seq, timestamp });
  payload.forEach((v, i) => view.setFloat64(HEADER_SIZE + i * 8, v));
  return buf;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** What an ACK of a frame says, given when the frame's bytes arrived here. */
interface AbsurdAck {
  what: string;
  /** Whether the heartbeat clock is needed to see it cannot be true. */
  needsClock?: boolean;
  make(frame: { capturedAt: number; firstByte: number; lastByte: number }): {
    sentAt: number;
    firstByte: number;
    lastByte: number;
  };
}

const ABSURD_ACKS: AbsurdAck[] = [
  { what: "NaN", make: () => ({ sentAt: now(), firstByte: NaN, lastByte: NaN }) },
  { what: "NaN last", make: (f) => ({ sentAt: now(), firstByte: f.firstByte, lastByte: NaN }) },
  { what: "+Infinity", make: () => ({ sentAt: now(), firstByte: Infinity, lastByte: Infinity }) },
  {
    what: "-Infinity",
    make: (f) => ({ sentAt: now(), firstByte: -Infinity, lastByte: f.lastByte }),
  },
  { what: "1e308", make: () => ({ sentAt: now(), firstByte: 1e308, lastByte: 1e308 }) },
  { what: "-1e308", make: (f) => ({ sentAt: now(), firstByte: -1e308, lastByte: f.lastByte }) },
  { what: "negative", make: () => ({ sentAt: now(), firstByte: -5, lastByte: -1 }) },
  {
    what: "first after last",
    make: (f) => ({ sentAt: now(), firstByte: f.lastByte + 50, lastByte: f.firstByte }),
  },
  {
    what: "far future",
    make: (f) => ({ sentAt: now(), firstByte: f.firstByte + 1e9, lastByte: f.lastByte + 1e9 }),
  },
  {
    what: "an hour before the frame was captured",
    make: (f) => ({
      sentAt: now(),
      firstByte: f.capturedAt - 3.6e6,
      lastByte: f.capturedAt - 3.6e6,
    }),
  },
  { what: "ACK send time NaN", make: (f) => ({ sentAt: NaN, ...f }) },
  { what: "ACK send time -Infinity", make: (f) => ({ sentAt: -Infinity, ...f }) },
  { what: "ACK sent before the last byte", make: (f) => ({ sentAt: f.firstByte - 1000, ...f }) },
  // All three consistent with each other: only the clock shows them false.
  {
    what: "all a day in the future",
    needsClock: true,
    make: (f) => ({
      sentAt: now() + 8.64e7,
      firstByte: f.firstByte + 8.64e7,
      lastByte: f.lastByte + 8.64e7,
    }),
  },
  {
    what: "all a minute before the frame was sent",
    needsClock: true,
    make: (f) => ({
      sentAt: f.capturedAt - 6e4,
      firstByte: f.capturedAt - 6e4,
      lastByte: f.capturedAt - 6e4,
    }),
  },
];

// Catches: a sender or controller that throws on such times (the call ends
// with an error, exit 1); one that frees the window only for sensible times
// (one frame, then nothing); one that feeds them to the estimates (a NaN or
// a 1e308 capacity shows in the stats lines, a NaN target sends the lowest
// rung: degraded); one that does not count them (ack_times_ignored 0), or
// counts only some kinds (fewer than the ACKs sent); and one whose checks
// miss times that only the heartbeat clock shows false.
Deno.test("a peer whose ACKs carry absurd times still gets frames, and they are ignored and counted", async () => {
  const { peer, conn } = await dialledBy(["--fps", "30", "--stats", "json"]);
  const reader = new MessageReader(conn);
  await writeAll(conn, encodeHello({ flags: 0, name: "liar" }));
  await reader.readHello();
  const payload = new Uint8Array(1 << 20);
  const frameTimes: number[] = [];
  const started = performance.now();
  let acks = 0, clockAcks = 0;
  while (performance.now() - started < 2500) {
    const h = await reader.readHeader();
    const firstByte = now();
    assert(h, `peercam closed the connection:\n${peer.stderr}`);
    if (h.length > 0) await reader.readPayload(payload.subarray(0, h.length));
    if (h.type === MessageType.PING) {
      // Answered as a real peer would: peercam knows the clocks agree.
      await writeAll(conn, raw(MessageType.PONG, 0, now(), [h.timestamp, firstByte]));
      continue;
    }
    if (h.type !== MessageType.FRAME) continue;
    frameTimes.push(performance.now());
    const frame = { capturedAt: h.timestamp, firstByte, lastByte: now() };
    // The clock-only lies once heartbeats have had time to set the clock.
    const kinds = ABSURD_ACKS.filter((k) => !k.needsClock || performance.now() - started > 500);
    const kind = kinds[acks % kinds.length]!;
    const t = kind.make(frame);
    await writeAll(conn, raw(MessageType.ACK, h.seq, t.sentAt, [t.firstByte, t.lastByte]));
    acks++;
    if (kind.needsClock) clockAcks++;
  }
  await writeAll(conn, raw(MessageType.BYE, 0, now()));
  const code = await peer.exit();
  conn.close();
  assertEquals(code, 0, peer.stderr);
  // It kept sending, without stalling: about 30 frames a second.
  assert(frameTimes.length >= 30, `${frameTimes.length} frames in 2.5 s:\n${peer.stderr}`);
  const gaps = frameTimes.slice(1).map((t, i) => t - frameTimes[i]!);
  assert(Math.max(...gaps) < 1000, `a ${Math.max(...gaps).toFixed(0)} ms gap between frames`);
  assert(clockAcks > 0, "no clock-only lie was sent");
  const summary = peer.summary();
  assertEquals(summary.end, "peer-quit");
  // The frames read here, and the one sent after the last ACK (and before the BYE).
  const unread = summary.frames_sent - frameTimes.length;
  assert(unread >= 0 && unread <= 1, `sent ${summary.frames_sent}, ${frameTimes.length} read`);
  // Every ACK was taken (it freed the window) and its times ignored.
  assert(summary.ack_times_ignored > 0, "ack_times_ignored is 0");
  assertEquals(summary.ack_times_ignored, acks, "every absurd ACK counted, once");
  // Nothing was learned from them: no estimate, and the sender stayed at its ceiling.
  assertEquals(summary.degraded_s, 0);
  const lines = peer.json().filter((l): l is StatsLine => l.type === "stats");
  assert(lines.length >= 1, "no stats line");
  for (const line of lines) {
    assertEquals(
      [line.target_kbps, line.capacity_kbps, line.queue_delay_ms, line.degraded],
      [null, null, null, false],
      JSON.stringify(line),
    );
    if (line.send_width !== null) assertEquals([line.send_width, line.send_height], [320, 240]);
  }
});
