/**
 * {@linkcode Heartbeat}: a ping a second on every link of the call, the
 * watchdog that declares a silent link dead, and the clock estimate the
 * pings' answers feed.
 *
 * @module
 */

import { ClockEstimator } from "./clock.ts";
import type { PeerLink } from "./peer_link.ts";
import { MessageType } from "./protocol.ts";

/** How often each side pings the other. */
export const HEARTBEAT_MS = 1000;

/** How long a link may stay silent before it counts as dead (pings come every second). */
export const DEAD_AFTER_MS = 3000;

/** Options for {@linkcode Heartbeat}. */
export interface HeartbeatOptions {
  /** The call's current links. */
  links: () => readonly PeerLink[];
  /** Called for a link silent for longer than {@linkcode DEAD_AFTER_MS}. */
  onDead: (link: PeerLink, error: Error) => void;
}

/** Pings, watches for silence, and estimates the peer's clock. */
export class Heartbeat {
  /** The peer's clock relative to this one, from the pings' answers. */
  readonly clock: ClockEstimator = new ClockEstimator();
  #options: HeartbeatOptions;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param options Where the links come from and what to do with a dead one. */
  constructor(options: HeartbeatOptions) {
    this.#options = options;
  }

  /** Starts pinging every {@linkcode HEARTBEAT_MS}. */
  start(): void {
    this.#timer ??= setInterval(() => this.tick(performance.now()), HEARTBEAT_MS);
  }

  /**
   * One beat: reports the first link silent for too long (the call then
   * replaces every link), otherwise pings each one.
   *
   * @param now The current `performance.now()`.
   */
  tick(now: number): void {
    for (const link of this.#options.links()) {
      if (now - link.lastHeard > DEAD_AFTER_MS) {
        this.#options.onDead(
          link,
          new Error(`nothing from the peer for ${DEAD_AFTER_MS / 1000} s`),
        );
        return;
      }
      link.send(MessageType.PING);
    }
  }

  /**
   * Pings a new link at once, so the clock is known before its first frames.
   *
   * @param link A link just attached.
   */
  greet(link: PeerLink): void {
    link.send(MessageType.PING);
  }

  /** Forgets the clock estimate (new links, perhaps a new peer). */
  reset(): void {
    this.clock.reset();
  }

  /** Stops pinging. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
