/**
 * {@linkcode LatestJpeg}: the newest frame of one video (the peer's or your
 * own) for the HTTP clients, as one immutable copy that every client
 * references. A client asks for "a frame newer than the one I sent last"
 * when it is ready for one; there is no per-client queue, so a slow client
 * skips frames and pins at most the frame it is sending.
 *
 * @module
 */

import type { FrameInfo } from "../receive/fanout.ts";

/** The multipart boundary, as mjpg-streamer names it (tools expect none in particular). */
export const BOUNDARY = "boundarydonotcross";

/** One frame as the server keeps it: never written to after it is made. */
export interface SharedFrame {
  /** Counts frames put into this slot, from 1. */
  readonly version: number;
  /** The JPEG, exactly as received or captured. */
  readonly jpeg: Uint8Array<ArrayBuffer>;
  /** The frame's sequence number. */
  readonly seq: number;
  /** Capture time, seconds since the Unix epoch on this machine's clock (arrival time while unknown). */
  readonly timestamp: number;
  /** The multipart part header that goes before the JPEG in a stream (boundary included). */
  readonly partHeader: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();

/**
 * The part header of one MJPEG frame, with the fields mjpg-streamer and
 * µStreamer send (`Content-Type`, `Content-Length`, `X-Timestamp`) and the
 * sequence number (`X-Sequence`).
 *
 * @example
 * ```ts
 * partHeader({ length: 1234, seq: 7, timestamp: 1700000000.25 });
 * // "--boundarydonotcross\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n..."
 * ```
 *
 * @param frame The JPEG's length, sequence number and capture time (seconds).
 * @returns The header text, ending with the blank line.
 */
export function partHeader(frame: { length: number; seq: number; timestamp: number }): string {
  return `--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n` +
    `X-Timestamp: ${frame.timestamp.toFixed(6)}\r\nX-Sequence: ${frame.seq}\r\n\r\n`;
}

/**
 * The newest frame of one video, and the clients waiting for a newer one.
 *
 * A frame handed out (to a stream, a snapshot, `/stats`) is never written
 * again: the next frame goes into a new buffer. While nobody has taken the
 * newest frame — no client watching — each frame is copied into the same
 * buffer instead, so serving with nobody watching makes no garbage.
 */
export class LatestJpeg {
  #frame: SharedFrame | null = null;
  #buffer = new Uint8Array(0);
  #handedOut = true;
  #waiters = new Set<(frame: SharedFrame | null) => void>();
  #closed = false;

  /** The newest frame, or null before the first (from now on, it is never overwritten). */
  get frame(): SharedFrame | null {
    this.#handedOut = true;
    return this.#frame;
  }

  /** How many clients wait for the next frame. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Replaces the newest frame with a copy of `jpeg` (the one copy every
   * client shares) and hands it to the clients waiting. Synchronous and
   * cheap: nothing here waits for a client.
   *
   * @param jpeg The bytes; only read during the call.
   * @param info The sequence number and capture time.
   */
  put(jpeg: Uint8Array, info: Pick<FrameInfo, "seq" | "localTime">): void {
    if (this.#closed) return;
    const timestamp = (info.localTime ?? Date.now()) / 1000;
    if (this.#handedOut || this.#buffer.length < jpeg.length) {
      // Room for a somewhat larger frame, so the buffer is rarely outgrown.
      this.#buffer = new Uint8Array(Math.max(64 * 1024, Math.ceil(jpeg.length * 1.25)));
      this.#handedOut = false;
    }
    this.#buffer.set(jpeg);
    const frame: SharedFrame = {
      version: (this.#frame?.version ?? 0) + 1,
      jpeg: this.#buffer.subarray(0, jpeg.length),
      seq: info.seq,
      timestamp,
      partHeader: encoder.encode(partHeader({ length: jpeg.length, seq: info.seq, timestamp })),
    };
    this.#frame = frame;
    this.#wake(frame);
  }

  /**
   * Waits for a frame newer than `after`.
   *
   * @param after The version the client sent last (0 for none).
   * @param signal Ends the wait early (the client went away).
   * @returns The newest frame, or null once the slot is closed or `signal` aborts.
   */
  next(after: number, signal?: AbortSignal): Promise<SharedFrame | null> {
    const frame = this.#frame;
    if (this.#closed || signal?.aborted) return Promise.resolve(null);
    if (frame !== null && frame.version > after) {
      this.#handedOut = true;
      return Promise.resolve(frame);
    }
    return new Promise((resolve) => {
      const done = (next: SharedFrame | null): void => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", abort);
        resolve(next);
      };
      const abort = (): void => done(null);
      this.#waiters.add(done);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** Ends every wait (with null) and refuses new frames. */
  close(): void {
    this.#closed = true;
    this.#wake(null);
  }

  #wake(frame: SharedFrame | null): void {
    if (this.#waiters.size > 0) this.#handedOut = true;
    for (const waiter of [...this.#waiters]) waiter(frame);
  }
}
