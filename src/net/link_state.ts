/**
 * {@linkcode LinkState}: where the call's connection stands (connecting,
 * connected, reconnecting, ended) and what a lost connection means under
 * `--reconnect-timeout`. Pure: the caller passes the time in.
 *
 * @module
 */

/** The phases of a call's connection. */
export type LinkPhase = "connecting" | "connected" | "reconnecting" | "ended";

/** What to do about a lost connection. */
export type LossAction =
  | { action: "reconnect"; deadline: number }
  | { action: "give-up" }
  | { action: "ignore" };

/** The connection's phase, with the times and counts the status line and HUD show. */
export class LinkState {
  #phase: LinkPhase = "connecting";
  #since: number;
  #reason = "";
  #reconnects = 0;
  #timeoutS: number;

  /**
   * @param reconnectTimeoutS How long to try to reconnect; 0 = never.
   * @param now The current time, ms.
   */
  constructor(reconnectTimeoutS: number, now: number) {
    this.#timeoutS = reconnectTimeoutS;
    this.#since = now;
  }

  /** The current phase. */
  get phase(): LinkPhase {
    return this.#phase;
  }

  /** When the current phase began, ms. */
  get since(): number {
    return this.#since;
  }

  /** Why the last connection was lost ("" before any loss). */
  get reason(): string {
    return this.#reason;
  }

  /** Times the call came back after a loss. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /**
   * The links are up.
   *
   * @param now The current time, ms.
   * @returns How long the call was reconnecting, in ms, or null for the first connection.
   */
  connected(now: number): number | null {
    const was = this.#phase;
    const took = now - this.#since;
    this.#phase = "connected";
    this.#since = now;
    if (was !== "reconnecting") return null;
    this.#reconnects++;
    return took;
  }

  /**
   * A connection broke without a goodbye.
   *
   * @param reason Why, for messages.
   * @param now The current time, ms.
   * @returns `reconnect` with the deadline (ms) to come back by; `give-up`
   * when reconnection is off (`--reconnect-timeout 0`); `ignore` when the
   * call is not connected (already reconnecting, or over).
   */
  lost(reason: string, now: number): LossAction {
    if (this.#phase !== "connected") return { action: "ignore" };
    if (this.#timeoutS <= 0) return { action: "give-up" };
    this.#phase = "reconnecting";
    this.#since = now;
    this.#reason = reason;
    return { action: "reconnect", deadline: now + this.#timeoutS * 1000 };
  }

  /** The call is over. */
  end(): void {
    this.#phase = "ended";
  }
}
