/**
 * Test helpers: in-memory byte streams for the framing tests (no I/O, no
 * permissions).
 *
 * @module
 */

import type { ByteSource } from "../src/net/message_reader.ts";

/** A source that returns `chunks` one read at a time (split further if `p` is small). */
export class ChunkSource implements ByteSource {
  #chunks: Uint8Array[];
  reads = 0;

  constructor(chunks: Uint8Array[]) {
    this.#chunks = chunks.map((c) => c.slice());
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    const n = Math.min(p.length, chunk.length);
    p.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#chunks.unshift(chunk.subarray(n));
    return Promise.resolve(n);
  }
}

/** A sink that records every write. */
export class RecordingSink {
  writes: Uint8Array[] = [];
  /** Bytes accepted per write call (models a partial write), or all. */
  constructor(readonly maxPerWrite = Infinity) {}

  async write(p: Uint8Array): Promise<number> {
    await Promise.resolve();
    const n = Math.min(p.length, this.maxPerWrite);
    this.writes.push(p.slice(0, n));
    return n;
  }

  /** Everything written, joined. */
  bytes(): Uint8Array {
    return concat(this.writes);
  }
}

/** Joins byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Splits `bytes` into chunks of `size` bytes. */
export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/**
 * A JPEG's quantization tables (its DQT segments), as text to compare: set
 * by the encoder's quality alone, whatever the picture.
 *
 * @param jpeg A JPEG image.
 * @returns The tables' bytes, comma-separated.
 */
export function quantizationTables(jpeg: Uint8Array): string {
  const tables: number[] = [];
  for (let i = 2; i + 4 <= jpeg.length && jpeg[i] === 0xff && jpeg[i + 1] !== 0xda;) {
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    if (jpeg[i + 1] === 0xdb) tables.push(...jpeg.subarray(i + 4, i + 2 + length));
    i += 2 + length;
  }
  return tables.join(",");
}
