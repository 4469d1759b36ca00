/**
 * The link emulator (tests/_link_emulator.ts) over real sockets: it must pass
 * bytes intact, add its delay without losing throughput, hold its rate cap
 * (also after shape()), keep its queue bounded and close promptly.
 *
 * @module
 */

import { delay, TIMED_OUT, withTimeout } from "../src/async.ts";
import { assert, assertEquals } from "./_assert.ts";
import { LinkEmulator, type PipeShape } from "./_link_emulator.ts";
import { freePort } from "./_tools.ts";

/** Rejects if `promise` takes longer than `ms` (so a broken emulator fails instead of hanging). */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  const result = await withTimeout(promise, ms);
  if (result === TIMED_OUT) throw new Error(`${what} took over ${ms} ms`);
  return result;
}

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let off = 0; off < size; off += 65536) {
    crypto.getRandomValues(bytes.subarray(off, Math.min(size, off + 65536)));
  }
  return bytes;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((off, p) => (out.set(p, off), off + p.length), 0);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/**
 * A target and an emulator in front of it, with one connection through it:
 * `client` is the connecting side, `server` the target's end.
 */
async function connected(
  up: PipeShape,
  down?: PipeShape,
): Promise<{ link: LinkEmulator; client: Deno.TcpConn; server: Deno.TcpConn }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const link = LinkEmulator.start({ target: { hostname: "127.0.0.1", port }, up, down });
  try {
    const client = await Deno.connect({ hostname: "127.0.0.1", port: link.port });
    const server = await within(2000, "the emulator's connection to the target", listener.accept());
    return { link, client, server };
  } finally {
    listener.close();
  }
}

/** Reads a connection to its end (or reset), noting when each read's bytes arrived; then closes it. */
class Sink {
  /** Time (performance.now()) and running total after each read. */
  readonly arrivals: { t: number; total: number }[] = [];
  readonly chunks: Uint8Array[] = [];
  total = 0;
  /** Whether it ended with an error (a reset) rather than an end of stream. */
  reset = false;
  readonly done: Promise<void>;

  constructor(conn: Deno.Conn, keep = false) {
    this.done = (async () => {
      const buffer = new Uint8Array(65536);
      try {
        for (let n; (n = await conn.read(buffer)) !== null;) {
          this.total += n;
          this.arrivals.push({ t: performance.now(), total: this.total });
          if (keep) this.chunks.push(buffer.slice(0, n));
        }
      } catch {
        this.reset = true;
      } finally {
        close(conn);
      }
    })();
  }

  /** Bytes that had arrived by time `t`. */
  bytesAt(t: number): number {
    let total = 0;
    for (const a of this.arrivals) {
      if (a.t > t) break;
      total = a.total;
    }
    return total;
  }

  /** Throughput between times `from` and `to`, bytes/s. */
  rate(from: number, to: number): number {
    return (this.bytesAt(to) - this.bytesAt(from)) / ((to - from) / 1000);
  }
}

/** Writes `chunk` over and over until the connection fails (the emulator closed it). */
async function flood(conn: Deno.Conn, chunk = random(65536)): Promise<void> {
  try {
    for (;;) await writeAll(conn, chunk);
  } catch {
    // Closed under it.
  } finally {
    close(conn);
  }
}

const QUEUE = 64 * 1024;

Deno.test("link emulator: bytes arrive intact and in order both ways, and the end passes on", async () => {
  const { link, client, server } = await connected({ kbps: null, delayMs: 0, queueBytes: QUEUE });
  try {
    // The target echoes everything back, then closes.
    const echo = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await server.read(buffer)) !== null;) {
        await writeAll(server, buffer.subarray(0, n));
      }
      server.close();
    })();
    const sent = random(4 * 1024 * 1024 + 123);
    const back = new Sink(client, true);
    const started = performance.now();
    await within(20_000, "sending", writeAll(client, sent));
    await client.closeWrite();
    await within(20_000, "the echo", Promise.all([echo, back.done]));
    const ms = performance.now() - started;
    assert(!back.reset, "the connection was reset, not ended");
    assertEquals(back.total, sent.length);
    assertEquals(await sha256(join(back.chunks)), await sha256(sent));
    assertEquals(link.counters.up.bytes, sent.length);
    assertEquals(link.counters.down.bytes, sent.length);
    console.log(`  4 MiB echoed in ${ms.toFixed(0)} ms`);
  } finally {
    await within(2000, "close()", link.close());
  }
});

Deno.test("link emulator: a small message takes the one-way delay each way, no more", async () => {
  const delayMs = 40;
  const { link, client, server } = await connected({ kbps: null, delayMs, queueBytes: QUEUE });
  try {
    const oneWay: number[] = [];
    const roundTrip: number[] = [];
    const buffer = new Uint8Array(64);
    for (let i = 0; i < 6; i++) {
      const sent = performance.now();
      await writeAll(client, new Uint8Array(8).fill(i));
      assertEquals(await within(1000, "the message", server.read(buffer)), 8);
      oneWay.push(performance.now() - sent);
      await writeAll(server, buffer.subarray(0, 8));
      assertEquals(await within(1000, "the reply", client.read(buffer)), 8);
      assertEquals(buffer[0], i);
      roundTrip.push(performance.now() - sent);
      await delay(15);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    console.log(
      `  one-way ${oneWay.map((t) => t.toFixed(1)).join(" ")} ms; round trip median ${
        median(roundTrip).toFixed(1)
      } ms`,
    );
    // No byte is ever early: a lower bound that cannot be loosened by a busy machine.
    for (const t of oneWay) assert(t >= delayMs, `one-way ${t} ms < ${delayMs} ms`);
    for (const t of roundTrip) assert(t >= 2 * delayMs, `round trip ${t} ms < ${2 * delayMs} ms`);
    // Not much late either (the median, so one stall on a busy machine does not fail it).
    assert(median(oneWay) < delayMs + 30, `one-way median ${median(oneWay)} ms`);
    assert(median(roundTrip) < 2 * delayMs + 60, `round trip median ${median(roundTrip)} ms`);
  } finally {
    close(client);
    close(server);
    await within(2000, "close()", link.close());
  }
});

Deno.test("link emulator: 500 KB through a 2000 kbit/s cap with 50 ms delay takes about 2 s, and all of it arrives before the end", async () => {
  const { link, client, server } = await connected({ kbps: 2000, delayMs: 50, queueBytes: QUEUE });
  try {
    const sink = new Sink(server, true);
    const size = 500_000;
    const sent = random(size);
    const started = performance.now();
    await writeAll(client, sent);
    client.close(); // right away: what is queued must still be delivered before the end
    await within(10_000, "the transfer", sink.done);
    const seconds = (sink.arrivals.at(-1)!.t - started) / 1000;
    console.log(`  500 KB at 2000 kbit/s + 50 ms: ${seconds.toFixed(3)} s (ideal 2.05 s)`);
    assert(!sink.reset, "the connection was reset, not ended");
    assertEquals(sink.total, size);
    assertEquals(await sha256(join(sink.chunks)), await sha256(sent), "packetised bytes differ");
    assertEquals(link.counters.up.bytes, size);
    // Too fast: the cap is ignored or its burst is large. Too slow: the delay
    // is paid per chunk (stop-and-wait: 50 ms per read would take many seconds).
    assert(seconds >= 1.6 && seconds <= 3, `took ${seconds} s`);
  } finally {
    await within(2000, "close()", link.close());
  }
});

Deno.test("link emulator: a 10 KB burst is dispersed over the cap's time, not passed at once", async () => {
  const { link, client, server } = await connected({ kbps: 2000, delayMs: 0, queueBytes: QUEUE });
  const sink = new Sink(server);
  try {
    const bursts: { first: number; last: number; reads: number }[] = [];
    for (let i = 0; i < 3; i++) {
      await delay(100); // the link is idle again
      const before = sink.total;
      const sent = performance.now();
      await writeAll(client, random(10_000));
      await within(
        2000,
        "the burst",
        (async () => {
          while (sink.total < before + 10_000) await delay(2);
        })(),
      );
      const arrivals = sink.arrivals.filter((a) => a.total > before);
      bursts.push({
        first: arrivals[0]!.t - sent,
        last: arrivals.at(-1)!.t - sent,
        reads: arrivals.length,
      });
    }
    console.log(
      `  10 KB at 2000 kbit/s (ideal: first packet at 6 ms, last byte at 40 ms): ${
        bursts.map((b) => `${b.first.toFixed(1)}–${b.last.toFixed(1)} ms in ${b.reads} reads`)
          .join("; ")
      }`,
    );
    for (const { last } of bursts) {
      // A token bucket one packet deep ends at 34 ms; a burst of more than
      // ~2.5 KB ends before 30 ms. (A lower bound: load cannot make it early.)
      assert(last >= 30, `the last byte came after only ${last} ms`);
      assert(last < 40 + 150, `the last byte came after ${last} ms`);
    }
    // Packets, not one 10 KB lump released at the end. Load can hold back
    // the first packet, so one burst of three showing it is enough.
    const spread = Math.max(...bursts.map((b) => b.last - b.first));
    assert(spread >= 15, `at most ${spread} ms between the first and last byte`);
  } finally {
    client.close();
    await within(2000, "the end", sink.done);
    await within(2000, "close()", link.close());
  }
});

Deno.test("link emulator: shape() changes the rate of an open connection (cap lowered, then lifted)", async () => {
  const { link, client, server } = await connected({ kbps: 4000, delayMs: 20, queueBytes: QUEUE });
  const sink = new Sink(server);
  const sending = flood(client);
  try {
    const started = performance.now();
    await delay(1200);
    const lowered = performance.now();
    link.shape("up", { kbps: 1000 });
    await delay(1300);
    const lifted = performance.now();
    link.shape("both", { kbps: null });
    await delay(400);
    const before = sink.rate(started + 400, lowered);
    const after = sink.rate(lowered + 300, lowered + 1300);
    const free = sink.rate(lifted + 100, lifted + 400);
    console.log(
      `  4000 kbit/s: ${(before / 125).toFixed(0)} kbit/s; 1000 kbit/s: ${
        (after / 125).toFixed(0)
      } kbit/s; uncapped: ${(free / 125).toFixed(0)} kbit/s`,
    );
    assert(before > 0.6 * 500_000 && before < 1.3 * 500_000, `before: ${before} B/s`);
    assert(after < 0.6 * before, `after lowering: ${after} B/s, before ${before} B/s`);
    assert(after < 1.3 * 125_000, `after lowering: ${after} B/s`);
    assert(free > 4 * before, `after lifting: ${free} B/s, capped ${before} B/s`);
  } finally {
    await within(2000, "close()", link.close());
    await within(2000, "the sockets' end", Promise.all([sending, sink.done]));
  }
});

Deno.test("link emulator: the bottleneck queue stays within queueBytes while the sender pushes more", async () => {
  const queueBytes = 20_000;
  const { link, client, server } = await connected({ kbps: 1000, delayMs: 10, queueBytes });
  const sink = new Sink(server);
  const sending = (async () => {
    try {
      await writeAll(client, random(1_000_000)); // far more than the queue
    } catch {
      // Closed by the emulator.
    }
  })();
  try {
    await delay(1000);
    const { maxQueued, bytes } = link.counters.up;
    console.log(`  max queued ${maxQueued} of ${queueBytes}; ${bytes} bytes delivered in 1 s`);
    assert(sink.total > 60_000 && sink.total < 200_000, `received ${sink.total} in 1 s`);
    // Reads are sized to the room left, so not even one read over.
    assert(maxQueued <= queueBytes, `the queue held ${maxQueued} bytes`);
    // And it did fill: the cap was the bottleneck, and the count is real.
    assert(maxQueued >= queueBytes / 2, `the queue held only ${maxQueued} bytes`);
  } finally {
    await within(2000, "close()", link.close());
    client.close();
    await within(2000, "the sockets' end", Promise.all([sending, sink.done]));
  }
});

Deno.test("link emulator: close() with bytes in flight and a write blocked resolves at once and leaves nothing running", async () => {
  // Up: slow and long, so bytes sit in the queue and the delay line. Down:
  // uncapped into a client that never reads, so the emulator's write blocks.
  const { link, client, server } = await connected(
    { kbps: 500, delayMs: 200, queueBytes: QUEUE },
    { kbps: null, delayMs: 0, queueBytes: QUEUE },
  );
  const toServer = new Sink(server);
  const up = flood(client);
  const down = flood(server);
  await delay(500);
  const { up: upCount, down: downCount } = link.counters;
  console.log(
    `  before close: up ${upCount.bytes} B delivered, down ${downCount.bytes} B delivered`,
  );
  assert(upCount.bytes > 0 && downCount.bytes > 0, "nothing got through");
  assert(downCount.maxQueued <= QUEUE, `the down queue held ${downCount.maxQueued} bytes`);
  const started = performance.now();
  await within(1000, "close()", link.close());
  const ms = performance.now() - started;
  await link.close(); // twice is fine
  // The test's own sockets see the end too (a reset: unread bytes were dropped).
  await within(1000, "the sockets' end", Promise.all([up, down, toServer.done]));
  console.log(`  close() took ${ms.toFixed(1)} ms`);
  assert(ms < 1000, `close() took ${ms} ms`);
});

Deno.test("link emulator: a target that refuses closes the client's connection; await using closes the emulator", async () => {
  const port = freePort();
  await using link = LinkEmulator.start({
    target: { hostname: "127.0.0.1", port },
    up: { kbps: 1000, delayMs: 10, queueBytes: QUEUE },
  });
  assertEquals(link.address, `127.0.0.1:${link.port}`);
  const client = await Deno.connect({ hostname: "127.0.0.1", port: link.port });
  const sink = new Sink(client);
  await within(1000, "the refused connection's end", sink.done);
  assertEquals(sink.total, 0);
});
