/**
 * {@linkcode AckWindow}: the frames a link has sent that the peer has not
 * yet acknowledged, with their sizes and send times. Pure bookkeeping: no
 * I/O, no clock (times are passed in).
 *
 * @module
 */

/** Frames in flight before the sender waits, with `--no-adapt` (a fixed window). */
export const MAX_IN_FLIGHT = 3;

/**
 * The most frames in flight whatever the byte budget allows: bounds the
 * window's memory and what a fast link can have queued at the peer.
 */
export const MAX_FRAMES_IN_FLIGHT = 16;

/** What one acknowledgement covered (one object, reused by every call). */
export interface AckedFrames {
  /** Frames it acknowledged (it is cumulative: the frame and those before it). */
  frames: number;
  /** Their bytes, together. */
  bytes: number;
  /** The acknowledged frame's own bytes. */
  frameBytes: number;
  /** When the acknowledged frame's write began (the caller's clock). */
  sentAt: number;
}

/**
 * Sequence numbers of one connection's frames and their acknowledgements.
 * Sequence numbers are 32-bit and wrap; an acknowledgement of a frame not
 * in flight (never sent, or already acknowledged) is ignored, so a confused
 * or hostile peer cannot open the window wider than {@linkcode limit}.
 *
 * @example
 * ```ts
 * const window = new AckWindow(2);
 * const a = window.next(1000, 0), b = window.next(500, 5);
 * window.open; // false: two frames in flight
 * window.acked(b); // { frames: 2, bytes: 1500, frameBytes: 500, sentAt: 5 }
 * window.inFlight; // 0
 * ```
 */
export class AckWindow {
  #lastSent: number;
  #lastAcked: number;
  #bytes: Float64Array;
  #sentAt: Float64Array;
  #bytesInFlight = 0;
  #sentCount = 0; // frames sent so far: frame n's records sit in slot n % limit
  #acked: AckedFrames = { frames: 0, bytes: 0, frameBytes: 0, sentAt: 0 };
  /** The most frames in flight. */
  readonly limit: number;

  /**
   * @param limit The most frames in flight, at least 1.
   * @param first The first sequence number (0 on the wire; tests start near the wrap).
   */
  constructor(limit: number = MAX_IN_FLIGHT, first = 0) {
    if (!(limit >= 1 && limit <= 1024)) {
      throw new RangeError(`Invalid window limit ${limit}: 1 to 1024`);
    }
    this.limit = limit;
    this.#bytes = new Float64Array(limit);
    this.#sentAt = new Float64Array(limit);
    this.#lastSent = this.#lastAcked = (first - 1) >>> 0;
  }

  /** Frames sent and not yet acknowledged. */
  get inFlight(): number {
    return (this.#lastSent - this.#lastAcked) >>> 0;
  }

  /** Bytes of the frames in flight. */
  get bytesInFlight(): number {
    return this.#bytesInFlight;
  }

  /** When the oldest frame in flight was sent, or undefined with none in flight. */
  get oldestSentAt(): number | undefined {
    if (this.inFlight === 0) return undefined;
    return this.#sentAt[(this.#sentCount - this.inFlight) % this.limit]!;
  }

  /** Whether another frame may be sent as far as the frame count goes. */
  get open(): boolean {
    return this.inFlight < this.limit;
  }

  /**
   * Counts a frame as sent (before its write completes: the peer may
   * acknowledge it before the write's promise settles).
   *
   * @param bytes Its size on the wire.
   * @param sentAt When its write begins.
   * @returns The frame's sequence number.
   * @throws {RangeError} When the window is full (check {@linkcode open}).
   */
  next(bytes = 0, sentAt = 0): number {
    if (!this.open) throw new RangeError(`The window is full: ${this.limit} frames in flight`);
    this.#lastSent = (this.#lastSent + 1) >>> 0;
    const slot = this.#sentCount++ % this.limit;
    this.#bytes[slot] = bytes;
    this.#sentAt[slot] = sentAt;
    this.#bytesInFlight += bytes;
    return this.#lastSent;
  }

  /**
   * Takes an acknowledgement: it covers `seq` and every frame before it.
   *
   * @param seq The sequence number the peer acknowledged.
   * @returns What it covered (an object reused by the next call), or null
   * (and nothing changes) when `seq` is not in flight.
   */
  acked(seq: number): AckedFrames | null {
    seq >>>= 0;
    const inFlight = this.inFlight;
    const frames = (seq - this.#lastAcked) >>> 0;
    if (frames === 0 || frames > inFlight) return null;
    const oldest = this.#sentCount - inFlight; // the oldest frame in flight's number
    let bytes = 0;
    for (let n = oldest; n < oldest + frames; n++) bytes += this.#bytes[n % this.limit]!;
    const slot = (oldest + frames - 1) % this.limit;
    const out = this.#acked;
    out.frames = frames;
    out.bytes = bytes;
    out.frameBytes = this.#bytes[slot]!;
    out.sentAt = this.#sentAt[slot]!;
    this.#lastAcked = seq;
    this.#bytesInFlight = frames === inFlight ? 0 : this.#bytesInFlight - bytes;
    return out;
  }
}
