/**
 * {@linkcode ClockEstimator}: round-trip time and the offset between this
 * machine's clock and the peer's, from heartbeat exchanges (as NTP does).
 *
 * @module
 */

/** How many recent exchanges the estimate looks at. */
export const CLOCK_WINDOW = 16;

/**
 * Estimates RTT and clock offset. Each exchange gives four times: PING sent
 * (t1, ours), PING received (t2, peer's), PONG sent (t3, peer's), PONG
 * received (t4, ours). The offset of the exchange with the smallest RTT in
 * the recent window is the least disturbed by queueing, so it is the one
 * used.
 */
export class ClockEstimator {
  #rtt = new Float64Array(CLOCK_WINDOW);
  #offset = new Float64Array(CLOCK_WINDOW);
  #count = 0;

  /**
   * Adds one exchange.
   *
   * @param t1 PING sent, this clock (ms).
   * @param t2 PING received, the peer's clock.
   * @param t3 PONG sent, the peer's clock.
   * @param t4 PONG received, this clock.
   */
  add(t1: number, t2: number, t3: number, t4: number): void {
    const rtt = Math.max(0, (t4 - t1) - (t3 - t2));
    const i = this.#count++ % CLOCK_WINDOW;
    this.#rtt[i] = rtt;
    this.#offset[i] = ((t2 - t1) + (t3 - t4)) / 2;
  }

  /** The latest round-trip time in ms, or null before the first exchange. */
  get rttMs(): number | null {
    return this.#count === 0 ? null : this.#rtt[(this.#count - 1) % CLOCK_WINDOW]!;
  }

  /** The peer's clock minus this one, in ms (0 before the first exchange). */
  get offsetMs(): number {
    const n = Math.min(this.#count, CLOCK_WINDOW);
    let best = -1;
    for (let i = 0; i < n; i++) if (best < 0 || this.#rtt[i]! < this.#rtt[best]!) best = i;
    return best < 0 ? 0 : this.#offset[best]!;
  }

  /**
   * Converts a time on the peer's clock to this one.
   *
   * @param peerTime A time from the peer (ms since the epoch, its clock).
   * @returns The same instant on this clock.
   */
  toLocal(peerTime: number): number {
    return peerTime - this.offsetMs;
  }

  /** Forgets every exchange (a new connection, perhaps a new peer). */
  reset(): void {
    this.#count = 0;
  }
}
