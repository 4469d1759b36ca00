/**
 * {@linkcode Sender}: the sending direction's task. It takes the newest
 * encoded frame from the capture slot only when the current link's window
 * has room, so frames wait in the slot (where a fresher one replaces them)
 * rather than in TCP buffers.
 *
 * ```
 *  capture ─▶ [latest] ─▶ Sender ══ FRAME ══▶ peer ─ ACK ─┐
 *                           ▲ window: frames in flight    │
 *                           └─────────────────────────────┘
 * ```
 *
 * @module
 */

import { Wakeup } from "../async.ts";
import type { Latest } from "../latest.ts";
import type { Packet } from "../packet.ts";
import type { PeerLink } from "../net/peer_link.ts";
import { HEADER_SIZE } from "../net/protocol.ts";
import type { CallStats } from "../stats.ts";

/** Sends captured frames on the call's current link. */
export class Sender {
  #box: Latest<Packet>;
  #stats: CallStats;
  #link: PeerLink | undefined;
  #paused = false;
  #stopped = false;
  #wakeup = new Wakeup();

  /**
   * @param box The capture slot.
   * @param stats Counts frames and bytes sent.
   */
  constructor(box: Latest<Packet>, stats: CallStats) {
    this.#box = box;
    this.#stats = stats;
  }

  /**
   * Sends on `link` from now on; undefined while reconnecting (nothing is
   * sent, frames wait in the slot).
   *
   * @param link The link, or undefined.
   */
  use(link: PeerLink | undefined): void {
    this.#link = link;
    this.#wakeup.wake();
  }

  /** Whether sending is paused. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Pauses or resumes sending (frames keep being captured, for the self-view).
   *
   * @param paused True to stop sending.
   */
  pause(paused: boolean): void {
    this.#paused = paused;
    this.#wakeup.wake();
  }

  /**
   * Takes the peer's acknowledgement of frame `seq` on `link`.
   *
   * @param link Where it arrived.
   * @param seq The frame acknowledged.
   */
  acked(link: PeerLink, seq: number): void {
    if (link.window.acked(seq) && link === this.#link) this.#wakeup.wake();
  }

  /**
   * Sends until {@linkcode stop} or the slot closes.
   *
   * @param onFailed Called when a write fails (the call then replaces the link).
   */
  async run(onFailed: (link: PeerLink, error: unknown) => void): Promise<void> {
    const box = this.#box;
    const stats = this.#stats;
    while (!this.#stopped) {
      const link = this.#link;
      // Nowhere to send, told not to, or waiting for acknowledgements.
      if (link === undefined || this.#paused || !link.window.open) {
        await this.#wakeup.wait();
        continue;
      }
      const packet = await box.take();
      if (packet === undefined) return;
      if (link !== this.#link || this.#paused) {
        box.release(packet);
        continue;
      }
      // Counted as sent before the write completes: the peer may take the
      // frame and acknowledge it before this task runs again.
      const seq = link.window.next();
      try {
        await link.writer.writeFrame(packet.data, packet.length, seq, packet.timestamp);
      } catch (error) {
        onFailed(link, error);
        continue;
      } finally {
        box.release(packet);
      }
      stats.framesSent++;
      stats.bytesSent += HEADER_SIZE + packet.length;
    }
  }

  /** Ends {@linkcode run} (close the slot too, to end a wait for a frame). */
  stop(): void {
    this.#stopped = true;
    this.#wakeup.wake();
  }
}
