/**
 * Property-based fuzzing of the message reader and the hello (fast-check,
 * fixed seed, bounded runs): whatever arrives, the reader yields valid
 * messages or throws a ProtocolError — never anything else, never a hang —
 * and memory stays bounded. And of the ACK's times (v4), which come from
 * the peer: whatever they say, the sender neither throws nor stops sending,
 * in-process and in a real peercam process.
 */

import fc from "fast-check";
import { ProtocolError } from "../src/errors.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { handshake } from "../src/net/connect.ts";
import {
  ACK_SIZE,
  type AckTimes,
  encodeHello,
  HEADER_SIZE,
  HelloFlag,
  MessageType,
  now,
  PONG_SIZE,
  writeHeader,
} from "../src/net/protocol.ts";
import { KeyPair } from "../src/net/secure.ts";
import { Latest } from "../src/latest.ts";
import { Packet } from "../src/packet.ts";
import { RateController } from "../src/send/rate_controller.ts";
import { Sender } from "../src/send/sender.ts";
import { CallStats } from "../src/stats.ts";
import { assert, assertEquals } from "./_assert.ts";
import { chunked, ChunkSource, concat, RecordingSink } from "./_bytes.ts";
import { fakeLink, messages } from "./_links.ts";
import { dialledBy } from "./_peer.ts";

const SEED = 20261125;
const RUNS = 400;
const MAX_PAYLOAD = 1 << 20;

// Reads everything with a fixed payload buffer (as the session does).
async function drain(reader: MessageReader, withHello: boolean): Promise<number> {
  const payload = new Uint8Array(MAX_PAYLOAD + 16);
  if (withHello) await reader.readHello();
  let n = 0;
  while (await reader.readHeader() !== null) {
    await reader.readPayload(payload.subarray(0, MAX_PAYLOAD + 16));
    n++;
  }
  return n;
}

async function onlyProtocolErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
}

Deno.test("fuzz: random bytes give valid messages or a ProtocolError", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 4096 }),
      fc.integer({ min: 1, max: 64 }),
      fc.boolean(),
      async (bytes, chunk, withHello) => {
        const reader = new MessageReader(new ChunkSource(chunked(bytes, chunk)), {
          maxFramePayload: MAX_PAYLOAD,
        });
        await onlyProtocolErrors(() => drain(reader, withHello));
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

Deno.test("fuzz: headers with any length and type, bodies cut anywhere", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          length: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.nat(), fc.constant(0xffffffff)),
          type: fc.integer({ min: 0, max: 255 }),
          body: fc.uint8Array({ maxLength: 300 }),
        }),
        { maxLength: 8 },
      ),
      fc.nat(),
      async (messages, cut) => {
        const parts = messages.map(({ length, type, body }) => {
          const h = new Uint8Array(HEADER_SIZE);
          writeHeader(new DataView(h.buffer), 0, { length, type, seq: 0, timestamp: 0 });
          return concat([h, body]);
        });
        const stream = concat(parts);
        const reader = new MessageReader(
          new ChunkSource([stream.subarray(0, cut % (stream.length + 1))]),
          {
            maxFramePayload: MAX_PAYLOAD,
          },
        );
        await onlyProtocolErrors(() => drain(reader, false));
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

Deno.test("fuzz: valid streams split anywhere read back exactly; cut ones end or fail cleanly", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 10 }),
      fc.integer({ min: 1, max: 3000 }),
      fc.option(fc.nat(), { nil: undefined }),
      async (payloads, chunk, cut) => {
        const sink = new RecordingSink();
        const writer = new MessageWriter(sink);
        await writer.writeHello(encodeHello({ flags: 0, name: "fuzz" }));
        for (const [i, p] of payloads.entries()) {
          const buf = new Uint8Array(HEADER_SIZE + p.length + 16);
          buf.set(p, HEADER_SIZE);
          await writer.writeFrame(buf, p.length, i, i);
        }
        const wire = sink.bytes();
        const end = cut === undefined ? wire.length : cut % (wire.length + 1);
        const reader = new MessageReader(new ChunkSource(chunked(wire.subarray(0, end), chunk)));
        const got: Uint8Array[] = [];
        try {
          await reader.readHello();
          for (let m; (m = await reader.readMessage()) !== null;) {
            assertEquals(m.type, MessageType.FRAME);
            got.push(m.payload);
          }
          // A stream cut between messages is a clean end: a prefix of them.
          if (end === wire.length) assertEquals(got, payloads, "a whole stream reads back exactly");
          else assertEquals(got, payloads.slice(0, got.length));
        } catch (error) {
          assert(error instanceof ProtocolError, String(error));
          assert(end < wire.length, "only a cut stream may fail");
          payloads.slice(0, got.length).forEach((p, i) => assertEquals(got[i], p));
        }
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

// Catches a writer or reader that rounds an ACK's times (float32, ms
// integers), loses the sign of -0 or turns NaN into 0, mixes one queued
// ACK's times with another's, or misplaces the ACK among frames.
Deno.test("fuzz: frames and ACKs with any times read back exactly, sealed or not", async () => {
  const code = "ABCDEFGHJKMNPQRSTVWX";
  const d = await KeyPair.generate(), a = await KeyPair.generate();
  const transcript = new Uint8Array([...d.publicKey, ...a.publicKey]);
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.record({ frame: fc.uint8Array({ maxLength: 300 }) }),
          fc.record({ seq: fc.nat({ max: 0xffffffff }), first: fc.double(), last: fc.double() }),
        ),
        { maxLength: 12 },
      ),
      fc.boolean(),
      fc.integer({ min: 1, max: 64 }),
      async (items, sealed, chunk) => {
        const sink = new RecordingSink(chunk);
        const writer = new MessageWriter(sink);
        if (sealed) {
          writer.secure((await d.derive(a.publicKey, code, transcript, "dialer")).send);
        }
        // Queued all at once: each ACK's times must be its own when its turn comes.
        await Promise.all(items.map((item, i) => {
          if ("frame" in item) {
            const buf = new Uint8Array(HEADER_SIZE + item.frame.length + MessageWriter.TRAILER);
            buf.set(item.frame, HEADER_SIZE);
            return writer.writeFrame(buf, item.frame.length, i, i);
          }
          return writer.writeAck(item.seq, item.first, item.last);
        }));
        const back = new MessageReader(new ChunkSource(chunked(sink.bytes(), chunk)));
        if (sealed) {
          back.secure((await a.derive(d.publicKey, code, transcript, "acceptor")).receive);
        }
        for (const [i, item] of items.entries()) {
          const m = await back.readMessage();
          assert(m, `message ${i} is missing`);
          if ("frame" in item) {
            assertEquals([m.type, m.seq], [MessageType.FRAME, i]);
            assertEquals(m.payload.subarray(0, m.length), item.frame);
            continue;
          }
          assertEquals([m.type, m.seq, m.length], [MessageType.ACK, item.seq, ACK_SIZE]);
          const view = new DataView(m.payload.buffer, m.payload.byteOffset, ACK_SIZE);
          assert(Object.is(view.getFloat64(0), item.first), `first ${item.first}`);
          assert(Object.is(view.getFloat64(8), item.last), `last ${item.last}`);
        }
        assertEquals(await back.readMessage(), null);
      },
    ),
    { seed: SEED, numRuns: 200 },
  );
});

Deno.test("fuzz: memory stays bounded under hostile declared lengths", async () => {
  // JavaScript-visible memory (heap and buffers), measured around each
  // stream: unlike the process's RSS it does not move with the page cache
  // or with libraries other tests loaded. Garbage counts until collected, so
  // a reader that allocated what headers declare (up to 64 MiB here) shows.
  const used = () => {
    const m = Deno.memoryUsage();
    return m.heapUsed + m.external;
  };
  let worst = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), async (lengths) => {
      const before = used();
      // Every header claims a big frame; the bytes never come.
      const stream = concat(lengths.map((length) => {
        const h = new Uint8Array(HEADER_SIZE);
        writeHeader(new DataView(h.buffer), 0, {
          length,
          type: MessageType.FRAME,
          seq: 0,
          timestamp: 0,
        });
        return h;
      }));
      const reader = new MessageReader(new ChunkSource([stream]), { maxFramePayload: MAX_PAYLOAD });
      await onlyProtocolErrors(() => drain(reader, false));
      worst = Math.max(worst, used() - before);
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // drain() itself takes one payload buffer of MAX_PAYLOAD (1 MiB).
  assert(worst < 8 * (1 << 20), `a stream took ${(worst / (1 << 20)).toFixed(1)} MiB`);
});

Deno.test("fuzz: a handshake fed random bytes after a valid hello fails with a ProtocolError", async () => {
  const code = "ABCDEFGHJKMNPQRSTVWX";
  const keys = await KeyPair.generate();
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.boolean(), async (junk, secureHello) => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (listener.addr as Deno.NetAddr).port;
      const attacker = (async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        const hello = encodeHello({
          flags: secureHello ? HelloFlag.SECURE : 0,
          name: "fuzz",
          publicKey: secureHello ? keys.publicKey : undefined,
        });
        await conn.write(concat([hello, junk])).catch(() => {});
        conn.closeWrite().catch(() => {});
        const sink = new Uint8Array(4096);
        try {
          while (await conn.read(sink) !== null);
        } catch { /* reset */ }
        conn.close();
      })();
      const conn = await listener.accept();
      listener.close();
      try {
        const link = await handshake(conn, { flags: 0, name: "peer", code }, "acceptor", 2000);
        link.conn.close();
        throw new Error("a handshake with random bytes succeeded");
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
      }
      await attacker;
    }),
    { seed: SEED, numRuns: 60 },
  );
});

// --- ACK times (protocol v4) ---------------------------------------------

// An ACK's times as fuzzed: either 24 arbitrary bytes (the payload's two
// float64s and the header's send time, anything the wire can carry: NaN,
// infinities, denormals, ±0, 1e308), or offsets from the ACK's arrival,
// some sensible (within the round trip), most not.
type FuzzedTimes =
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "near"; first: number; last: number; sent: number };

const fuzzedTimes: fc.Arbitrary<FuzzedTimes> = fc.oneof(
  fc.uint8Array({ minLength: 24, maxLength: 24 }).map((bytes) => ({
    kind: "bytes" as const,
    bytes,
  })),
  fc.record({
    kind: fc.constant("near" as const),
    first: fc.oneof(fc.double({ min: -50, max: 5 }), fc.double()),
    last: fc.oneof(fc.double({ min: -50, max: 5 }), fc.double()),
    sent: fc.oneof(fc.double({ min: -50, max: 5 }), fc.double()),
  }),
);

function timesOf(t: FuzzedTimes, arrival: number): AckTimes {
  if (t.kind === "near") {
    return {
      firstByte: arrival + t.first,
      lastByte: arrival + t.last,
      ackSent: arrival + t.sent,
      arrival,
    };
  }
  const view = new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  return {
    firstByte: view.getFloat64(0),
    lastByte: view.getFloat64(8),
    ackSent: view.getFloat64(16),
    arrival,
  };
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 0));
  assert(done(), what);
}

// Catches a controller that throws on some value, one that lets a NaN or an
// infinity into its estimates (a poisoned target or capacity), a sender
// that frees the window only for sensible times, and a count of ignored
// ACKs that disagrees with the controller's or counts one ACK twice.
Deno.test("fuzz: whatever times an ACK carries, the sender counts, frees the window and sends on", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({ bytes: fc.integer({ min: 1, max: 40_000 }), times: fuzzedTimes }),
        { minLength: 1, maxLength: 8 },
      ),
      fc.option(fc.record({ rttMs: fc.double({ min: 0, max: 500 }), offsetMs: fc.double() })),
      async (acks, heard) => {
        const controller = new RateController({
          ceiling: { quality: 80, width: 640, height: 480, fps: 30 },
          degrade: "balanced",
          maxKbps: null,
          asStored: false,
        });
        const clock = heard ?? { rttMs: null, offsetMs: 0 };
        const box = new Latest([0, 1, 2].map(() => new Packet(1024)));
        const stats = new CallStats();
        const sender = new Sender(box, stats, { controller, clock });
        const running = sender.run((_l, error) => {
          throw error;
        });
        const { link, sink } = fakeLink();
        sender.use(link);
        const sent = () => messages(sink.bytes()).filter((m) => m.type === MessageType.FRAME);
        try {
          for (const [i, ack] of acks.entries()) {
            const p = box.acquire();
            p.reserve(ack.bytes, 1 << 20);
            p.length = ack.bytes;
            p.timestamp = now();
            box.publish(p);
            controller.produced(ack.bytes, controller.setting());
            await until(`frame ${i} went out`, () => sent().length === i + 1);
            const before = stats.ackTimesIgnored;
            sender.acked(link, i, timesOf(ack.times, now()));
            const counted = stats.ackTimesIgnored - before;
            assert(counted === 0 || counted === 1, `ACK ${i} counted ${counted} times`);
            assertEquals(stats.ackTimesIgnored, controller.ignored);
            assertEquals(link.window.inFlight, 0, `ACK ${i} freed the window`);
            const e = controller.estimate();
            for (const v of [e.targetKbps, e.capacityKbps, e.queueDelayMs, e.minRttMs]) {
              assert(v === null || Number.isFinite(v), `estimate ${JSON.stringify(e)}`);
            }
            assert(e.targetKbps === null || e.targetKbps > 0, `target ${e.targetKbps}`);
            assert(controller.rungs.includes(controller.setting()), "a rung of the ladder");
          }
        } finally {
          sender.stop();
          box.close();
          await running;
        }
      },
    ),
    { seed: SEED, numRuns: 150 },
  );
});

// Catches a peercam that crashes or ends the call on an ACK whose times are
// garbage (a RangeError, an assertion, a NaN reaching a setInterval or an
// allocation), that stops sending to such a peer, or that does not count
// them. Random doubles are never within milliseconds of the real times, so
// every one of these ACKs is ignored.
Deno.test("fuzz: a real peercam sent random ACK payloads keeps sending and counts them all", async () => {
  const garbage = fc.sample(fc.uint8Array({ minLength: 24, maxLength: 24 }), {
    seed: SEED,
    numRuns: 200,
  });
  const { peer, conn } = await dialledBy(["--fps", "30", "--stats", "json"]);
  const write = async (bytes: Uint8Array) => {
    for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
  };
  const reader = new MessageReader(conn);
  await write(encodeHello({ flags: 0, name: "fuzz" }));
  await reader.readHello();
  const pong = (pingTime: number) => {
    const bytes = new Uint8Array(HEADER_SIZE + PONG_SIZE);
    const v = new DataView(bytes.buffer);
    writeHeader(v, 0, { length: PONG_SIZE, type: MessageType.PONG, seq: 0, timestamp: now() });
    v.setFloat64(HEADER_SIZE, pingTime);
    v.setFloat64(HEADER_SIZE + 8, now());
    return bytes;
  };
  const payload = new Uint8Array(1 << 20);
  const ack = new Uint8Array(HEADER_SIZE + ACK_SIZE);
  const view = new DataView(ack.buffer);
  let frames = 0, acks = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    const h = await reader.readHeader();
    assert(h, `peercam closed the connection:\n${peer.stderr}`);
    if (h.length > 0) await reader.readPayload(payload.subarray(0, h.length));
    // Answer the heartbeat, so peercam knows this peer's clock and checks the
    // times against it (before that it uses none and counts none).
    if (h.type === MessageType.PING) await write(pong(h.timestamp));
    if (h.type !== MessageType.FRAME) continue;
    frames++;
    const bytes = garbage[acks % garbage.length]!;
    // The payload is 16 random bytes; every other ACK's send time is random too.
    writeHeader(view, 0, {
      length: ACK_SIZE,
      type: MessageType.ACK,
      seq: h.seq,
      timestamp: acks % 2 === 0 ? now() : new DataView(bytes.buffer).getFloat64(16),
    });
    ack.set(bytes.subarray(0, ACK_SIZE), HEADER_SIZE);
    await write(ack);
    acks++;
  }
  const bye = new Uint8Array(HEADER_SIZE);
  writeHeader(new DataView(bye.buffer), 0, {
    length: 0,
    type: MessageType.BYE,
    seq: 0,
    timestamp: now(),
  });
  await write(bye);
  const code = await peer.exit();
  conn.close();
  assertEquals(code, 0, peer.stderr);
  assert(frames >= 20, `${frames} frames in 2 s`);
  const summary = peer.summary();
  assertEquals(summary.end, "peer-quit");
  assertEquals(summary.ack_times_ignored, acks, peer.stderr);
});
