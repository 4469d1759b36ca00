/**
 * {@linkcode Sender}: the sending direction's task. It takes the newest
 * encoded frame from the capture slot only when the current link has room
 * — bytes in flight within the {@linkcode RateController}'s budget, or
 * with `--no-adapt` fewer than `MAX_IN_FLIGHT` frames — so frames
 * wait in the slot (where a fresher one replaces them) rather than in TCP
 * buffers.
 *
 * ```
 *  capture ─▶ [latest] ─▶ Sender ══ FRAME ══▶ peer ─ ACK + times ─┐
 *                           ▲ window, RateController               │
 *                           └──────────────────────────────────────┘
 * ```
 *
 * @module
 */

import { Wakeup } from "../async.ts";
import type { Latest } from "../latest.ts";
import type { Packet } from "../packet.ts";
import type { PeerLink } from "../net/peer_link.ts";
import { type AckTimes, HEADER_SIZE, now } from "../net/protocol.ts";
import type { CallStats } from "../stats.ts";
import { MAX_IN_FLIGHT } from "./ack_window.ts";
import type { ClockView, RateController } from "./rate_controller.ts";

/** How often the sender looks for an overdue acknowledgement, ms. */
export const STALL_CHECK_MS = 50;

/** What the sender adapts with; absent with `--no-adapt`. */
export interface Adaptation {
  /** Budgets the bytes in flight and reads the acknowledgements' times. */
  controller: RateController;
  /** The heartbeat clock, to check the peer's timestamps. */
  clock: ClockView;
}

/** Sends captured frames on the call's current link. */
export class Sender {
  #box: Latest<Packet>;
  #stats: CallStats;
  #link: PeerLink | undefined;
  #paused = false;
  #stopped = false;
  #wakeup = new Wakeup();
  #adapt: Adaptation | undefined;

  /**
   * @param box The capture slot.
   * @param stats Counts frames and bytes sent.
   * @param adapt The rate controller, or undefined for a fixed window (`--no-adapt`).
   */
  constructor(box: Latest<Packet>, stats: CallStats, adapt?: Adaptation) {
    this.#box = box;
    this.#stats = stats;
    this.#adapt = adapt;
  }

  /**
   * Sends on `link` from now on; undefined while reconnecting (nothing is
   * sent, frames wait in the slot).
   *
   * @param link The link, or undefined.
   */
  use(link: PeerLink | undefined): void {
    if (link !== undefined && link !== this.#link) this.#adapt?.controller.newLink();
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
   * Takes the peer's acknowledgement of frame `seq` on `link`. An
   * acknowledgement of a frame not in flight is ignored; absurd timestamps
   * free the window but teach the controller nothing (they are counted).
   *
   * @param link Where it arrived.
   * @param seq The frame acknowledged.
   * @param times Its timestamps (untrusted).
   */
  acked(link: PeerLink, seq: number, times: AckTimes): void {
    const acked = link.window.acked(seq);
    if (acked === null || link !== this.#link) return;
    const adapt = this.#adapt;
    if (adapt && !adapt.controller.acked(acked, times, adapt.clock)) this.#stats.ackTimesIgnored++;
    this.#wakeup.wake();
  }

  // Whether `link` may take another frame now.
  #room(link: PeerLink): boolean {
    const adapt = this.#adapt;
    return adapt ? adapt.controller.maySend(link.window) : link.window.inFlight < MAX_IN_FLIGHT;
  }

  /**
   * Sends until {@linkcode stop} or the slot closes.
   *
   * @param onFailed Called when a write fails (the call then replaces the link).
   */
  async run(onFailed: (link: PeerLink, error: unknown) => void): Promise<void> {
    const adapt = this.#adapt;
    // An overdue acknowledgement is a congestion signal too. The same beat
    // counts the time spent sending below the ceiling.
    let last = now();
    const timer = adapt && setInterval(() => {
      const link = this.#link, at = now();
      if (link !== undefined && !this.#paused) {
        adapt.controller.tick(at, link.window.oldestSentAt);
        if (adapt.controller.rung !== 0) this.#stats.degradedMs += at - last;
      }
      last = at;
    }, STALL_CHECK_MS);
    try {
      await this.#send(onFailed);
    } finally {
      clearInterval(timer);
    }
  }

  async #send(onFailed: (link: PeerLink, error: unknown) => void): Promise<void> {
    const box = this.#box;
    const stats = this.#stats;
    while (!this.#stopped) {
      const link = this.#link;
      // Nowhere to send, told not to, or waiting for acknowledgements.
      if (link === undefined || this.#paused || !this.#room(link)) {
        await this.#wakeup.wait();
        continue;
      }
      const packet = await box.take();
      if (packet === undefined) return;
      // The wait for a frame may have outlasted the room (an ACK became overdue).
      if (link !== this.#link || this.#paused || !this.#room(link)) {
        box.release(packet);
        continue;
      }
      // Counted as sent before the write completes: the peer may take the
      // frame and acknowledge it before this task runs again.
      const seq = link.window.next(HEADER_SIZE + packet.length, now());
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
