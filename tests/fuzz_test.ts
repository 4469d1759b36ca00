/**
 * Property-based fuzzing of the message reader and the hello (fast-check,
 * fixed seed, bounded runs): whatever arrives, the reader yields valid
 * messages or throws a ProtocolError — never anything else, never a hang —
 * and memory stays bounded.
 */

import fc from "fast-check";
import { ProtocolError } from "../src/errors.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { handshake } from "../src/net/connect.ts";
import {
  encodeHello,
  HEADER_SIZE,
  HelloFlag,
  MessageType,
  writeHeader,
} from "../src/net/protocol.ts";
import { KeyPair } from "../src/net/secure.ts";
import { assert, assertEquals } from "./_assert.ts";
import { chunked, ChunkSource, concat, RecordingSink } from "./_bytes.ts";

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
