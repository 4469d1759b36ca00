/**
 * {@linkcode AckWindow}: how many frames a link has sent that the peer has
 * not yet acknowledged. Pure bookkeeping: no I/O, no clock.
 *
 * @module
 */

/** Frames sent but not yet acknowledged before the sender waits. */
export const MAX_IN_FLIGHT = 3;

/**
 * Sequence numbers of one connection's frames and their acknowledgements.
 * Sequence numbers are 32-bit and wrap; an acknowledgement of a frame not
 * in flight (never sent, or already acknowledged) is ignored, so a confused
 * or hostile peer cannot open the window wider than {@linkcode limit}.
 *
 * @example
 * ```ts
 * const window = new AckWindow(2);
 * const a = window.next(), b = window.next();
 * window.open; // false: two frames in flight
 * window.acked(b); // true: acknowledges both (acknowledgements are cumulative)
 * window.inFlight; // 0
 * ```
 */
export class AckWindow {
  #lastSent: number;
  #lastAcked: number;
  /** The most frames in flight. */
  readonly limit: number;

  /**
   * @param limit The most frames in flight, at least 1.
   * @param first The first sequence number (0 on the wire; tests start near the wrap).
   */
  constructor(limit: number = MAX_IN_FLIGHT, first = 0) {
    if (!(limit >= 1)) throw new RangeError(`Invalid window limit ${limit}: at least 1`);
    this.limit = limit;
    this.#lastSent = this.#lastAcked = (first - 1) >>> 0;
  }

  /** Frames sent and not yet acknowledged. */
  get inFlight(): number {
    return (this.#lastSent - this.#lastAcked) >>> 0;
  }

  /** Whether another frame may be sent. */
  get open(): boolean {
    return this.inFlight < this.limit;
  }

  /**
   * Counts a frame as sent (before its write completes: the peer may
   * acknowledge it before the write's promise settles).
   *
   * @returns The frame's sequence number.
   */
  next(): number {
    this.#lastSent = (this.#lastSent + 1) >>> 0;
    return this.#lastSent;
  }

  /**
   * Takes an acknowledgement: it covers `seq` and every frame before it.
   *
   * @param seq The sequence number the peer acknowledged.
   * @returns False (and nothing changes) when `seq` is not in flight.
   */
  acked(seq: number): boolean {
    if (((this.#lastSent - seq) >>> 0) >= this.inFlight) return false;
    this.#lastAcked = seq >>> 0;
    return true;
  }
}
