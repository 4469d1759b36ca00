/**
 * {@linkcode LastJpeg}: a packet sink that keeps a copy of the newest
 * received JPEG, exactly as the peer sent it (for `s`, the snapshot key).
 *
 * @module
 */

import type { FrameInfo, PacketSink } from "./fanout.ts";

/** Keeps the newest received JPEG. */
export class LastJpeg implements PacketSink {
  #buffer = new Uint8Array(64 * 1024);
  #length = 0;
  #info: FrameInfo = { seq: 0, peerTime: 0, localTime: null };

  /** Copies the frame (into a buffer that only grows). */
  packet(jpeg: Uint8Array, info: FrameInfo): void {
    if (jpeg.length > this.#buffer.length) {
      this.#buffer = new Uint8Array(Math.max(jpeg.length, this.#buffer.length * 2));
    }
    this.#buffer.set(jpeg);
    this.#length = jpeg.length;
    Object.assign(this.#info, info);
  }

  /**
   * The newest JPEG, or null before the first.
   *
   * @returns A view valid until the next frame arrives (copy or write it at once).
   */
  get bytes(): Uint8Array | null {
    return this.#length === 0 ? null : this.#buffer.subarray(0, this.#length);
  }

  /** The newest frame's sequence number and capture time. */
  get info(): Readonly<FrameInfo> {
    return this.#info;
  }
}
