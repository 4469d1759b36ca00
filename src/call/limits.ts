/**
 * {@linkcode CallLimits}: when a call with `--frames`/`--duration` is done.
 * Pure: the caller passes counts and times in.
 *
 * A side with a limit is *satisfied* once it has decoded that many frames
 * or run that long, and tells the peer (SATISFIED). The call ends once
 * every side that has a limit is satisfied; a side without one waits for
 * the peer's.
 *
 * @module
 */

/** The limits one side was started with. */
export interface LimitOptions {
  /** Satisfied after decoding this many frames (`--frames`). */
  frames?: number;
  /** Satisfied after this many seconds (`--duration`). */
  duration?: number;
}

/** Tracks both sides' limits. */
export class CallLimits {
  #o: LimitOptions;
  #selfSatisfied = false;
  /** Whether the peer has a limit (its hello says so). */
  peerLimited = false;
  /** Whether the peer said it is satisfied. */
  peerSatisfied = false;

  /** @param options This side's limits. */
  constructor(options: LimitOptions) {
    this.#o = options;
  }

  /** Whether this side has a limit. */
  get limited(): boolean {
    return this.#o.frames !== undefined || this.#o.duration !== undefined;
  }

  /** Whether this side's limit is reached. */
  get selfSatisfied(): boolean {
    return this.#selfSatisfied;
  }

  /** Whether counting decoded frames can still satisfy this side. */
  get countsFrames(): boolean {
    return this.#o.frames !== undefined && !this.#selfSatisfied;
  }

  /**
   * Checks this side's limit.
   *
   * @param framesDecoded Frames decoded so far.
   * @param elapsedS Seconds since this side started.
   * @returns True exactly once: when this side has just become satisfied
   * (tell the peer).
   */
  update(framesDecoded: number, elapsedS: number): boolean {
    if (!this.limited || this.#selfSatisfied) return false;
    const o = this.#o;
    if (
      (o.frames !== undefined && framesDecoded >= o.frames) ||
      (o.duration !== undefined && elapsedS >= o.duration)
    ) {
      this.#selfSatisfied = true;
      return true;
    }
    return false;
  }

  /** Whether the call is complete: some side has a limit, and every such side is satisfied. */
  get done(): boolean {
    if (!this.limited && !this.peerLimited) return false;
    return (!this.limited || this.#selfSatisfied) && (!this.peerLimited || this.peerSatisfied);
  }

  /** Forgets the peer's state (a new connection: it says SATISFIED again if it still is). */
  resetPeer(): void {
    this.peerSatisfied = false;
  }
}
