/**
 * {@linkcode RateController}: fits the sending direction to the link. From
 * what the {@linkcode LinkEstimator} makes of each acknowledgement's
 * timestamps (the link's capacity, the queueing delay on the way, the
 * minimum RTT, the delivery rate) it keeps a target rate, picks each
 * frame's rung of the quality ladder so the frame fits the target, and
 * budgets the bytes in flight to about capacity × (min RTT + a margin), so
 * frames wait in the capture slot (where fresher ones replace them), not in
 * the network. Pure: no I/O; times are passed in (ms since the Unix epoch).
 *
 * ```
 *   ACK times ─▶ capacity, queueing delay, min RTT ─▶ target rate
 *                                                       │
 *   frame sizes ─▶ SizeModel ─▶ highest rung that fits ─┴─▶ setting()
 *                                     bytes in flight ≤ budget ─▶ maySend()
 * ```
 *
 * Step down fast when the queue grows (or an ACK is late: TCP hides loss,
 * so a stall is the congestion signal); step up gradually, and only while
 * the queue is empty. References: WebRTC's GCC (draft-ietf-rmcat-gcc),
 * SCReAM (RFC 8298), Salsify (NSDI '18) for sizing each frame to the
 * capacity estimate.
 *
 * @module
 */

import type { AckTimes } from "../net/protocol.ts";
import type { AckedFrames } from "./ack_window.ts";
import type { FrameSetting } from "./frame_setting.ts";
import { buildLadder, type DegradePreference, type Rung, SizeModel } from "./ladder.ts";
import { type ClockView, LinkEstimator } from "./link_estimator.ts";

export type { ClockView } from "./link_estimator.ts";

/** The share of the estimated capacity the sender aims to use. */
export const TARGET_SHARE = 0.85;
/** Queueing delay above which the target steps down, ms. */
export const QUEUE_HIGH_MS = 25;
/** Queueing delay below which the target may step up, ms. */
export const QUEUE_LOW_MS = 8;
/** A better rung is taken only when its predicted size fits this share of the target's. */
export const STEP_UP_ROOM = 0.9;
/** The pipe is sized for the current rung's rate times this (and never above the target). */
export const PIPE_ROOM = 1.25;
/** Added to the min RTT in the bytes-in-flight budget, ms. */
export const BUDGET_MARGIN_MS = 15;
/** How much the target may grow in a second while the queue is empty (0.8: to 1.8 times). */
export const GROWTH_PER_S = 0.8;
/**
 * The same when the capacity is at least {@linkcode HEADROOM} times the
 * target (a cap lifted): to 4 times in a second.
 */
export const FAST_GROWTH_PER_S = 3;
/** Capacity over target from which the target grows at {@linkcode FAST_GROWTH_PER_S}. */
export const HEADROOM = 3;
/** The lowest target, bits/s. */
export const MIN_TARGET_BPS = 64_000;
/** An ACK this many times later than usual counts as congestion. */
export const STALL_FACTOR = 2;
/** The shortest wait for an acknowledgement before it counts as overdue, ms. */
export const MIN_STALL_MS = 200;
/** What an overdue acknowledgement leaves of the target. */
export const STALL_CUT = 0.7;

/** What the rate controller needs from the command line. */
export interface RateControllerOptions {
  /** The best setting: `--quality`, `--size`, `--fps`. */
  ceiling: FrameSetting;
  /** What to give up first (`--degrade`). */
  degrade: DegradePreference;
  /** The user's cap on the sending rate, kbit/s (`--max-kbps`), or null. */
  maxKbps: number | null;
  /** Whether the source's frames are sent as stored at the ceiling (passthrough). */
  asStored: boolean;
}

/** What the controller estimates now, for the stats. */
export interface RateEstimate {
  /** The target, kbit/s (null before the first estimate). */
  targetKbps: number | null;
  /** The link's capacity towards the peer, kbit/s (null before an estimate). */
  capacityKbps: number | null;
  /** Queueing delay towards the peer, ms (null before an estimate). */
  queueDelayMs: number | null;
  /** The minimum RTT seen in the last 10 s, ms (null before an estimate). */
  minRttMs: number | null;
  /** Whether the current rung is below the ceiling. */
  degraded: boolean;
}

/** Picks each frame's setting and how many bytes may be in flight. */
export class RateController {
  #o: RateControllerOptions;
  #rungs: Rung[];
  #model: SizeModel;
  #link = new LinkEstimator();
  #rung = 0;
  #target: number | null = null; // bits/s
  #lastDecrease = -Infinity;
  #stalled = false;
  #stallAt = -Infinity;
  #stalls = 0; // cuts in the current stall: each waits twice as long as the last
  #ignored = 0;

  /** @param options The ceiling, the degradation order, the user's cap, passthrough. */
  constructor(options: RateControllerOptions) {
    this.#o = options;
    this.#rungs = buildLadder(options.ceiling, options.degrade);
    this.#model = new SizeModel(this.#rungs);
    this.#target = this.#startTarget();
  }

  /** The ladder, best first. */
  get rungs(): readonly Rung[] {
    return this.#rungs;
  }

  /** The current rung's index (0: the ceiling). */
  get rung(): number {
    return this.#rung;
  }

  /** Acknowledgements whose timestamps made no sense (ignored). */
  get ignored(): number {
    return this.#ignored;
  }

  /** Whether an acknowledgement is overdue (frames wait until one comes). */
  get stalled(): boolean {
    return this.#stalled;
  }

  /**
   * The setting for the next frame: the highest rung whose predicted size
   * fits the target rate at that rung's frame rate. Stepping down is
   * immediate; stepping up needs the better rung to fit with
   * {@linkcode STEP_UP_ROOM}.
   *
   * @returns The rung (do not modify it).
   */
  setting(): Rung {
    const target = this.#target;
    let chosen = 0;
    if (target !== null) {
      chosen = this.#rungs.length - 1;
      for (let i = 0; i < this.#rungs.length; i++) {
        const predicted = this.#predict(i);
        if (predicted === undefined) {
          if (i === 0) {
            chosen = 0;
            break;
          }
          continue;
        }
        const fps = this.#rungs[i]!.fps;
        const perFrame = target / 8 / (fps > 0 ? fps : 30);
        if (predicted <= perFrame * (i < this.#rung ? STEP_UP_ROOM : 1)) {
          chosen = i;
          break;
        }
      }
    }
    this.#rung = chosen;
    return this.#rungs[chosen]!;
  }

  /**
   * Learns from a frame produced: at the rung {@linkcode setting} last
   * handed out when it was made that way, else (the capture clamped it) at
   * the rung of that size and quality, if any.
   *
   * @param bytes Its size.
   * @param made What it was made at (quality 0: sent as stored).
   */
  produced(bytes: number, made: { quality: number; width: number; height: number }): void {
    const asStored = made.quality === 0;
    let index = this.#made(this.#rung, made) ? this.#rung : -1;
    for (let i = 0; index < 0 && i < this.#rungs.length; i++) if (this.#made(i, made)) index = i;
    if (index >= 0) this.#model.learn(index, bytes, asStored);
  }

  // Whether a frame made so is a frame of rung `i`.
  #made(i: number, made: { quality: number; width: number; height: number }): boolean {
    const r = this.#rungs[i]!;
    return r.width === made.width && r.height === made.height &&
      (made.quality === 0 ? i === 0 : r.quality === made.quality);
  }

  /**
   * Whether another frame may be sent now: always with nothing in flight;
   * otherwise while the bytes in flight fit the pipe — the sending rate
   * (the lowest of the target, the capacity and {@linkcode PIPE_ROOM} times
   * what the current rung sends) × (min RTT + {@linkcode BUDGET_MARGIN_MS})
   * — or are one frame (a frame larger than
   * the pipe, on a slow link, must not wait for the last one's ACK, or the
   * link would idle a round trip each time); so at most the pipe plus one
   * frame is in flight. Nothing more while an acknowledgement is overdue,
   * or before the first one (a peer that never acknowledges gets one
   * frame). Budgeting by the target rather than the capacity bounds what a
   * cap appearing on a fast link finds in flight.
   *
   * @param window The link's frames and bytes in flight.
   * @returns True to send.
   */
  maySend(window: { inFlight: number; bytesInFlight: number; open: boolean }): boolean {
    if (window.inFlight === 0) return true;
    if (!window.open || this.#stalled) return false;
    const link = this.#link;
    const frame = this.#predict(this.#rung);
    const fps = this.#rungs[this.#rung]!.fps;
    // What the current rung sends, with room: on a fast link the target may
    // be far above it, and a cap appearing would find all that in flight.
    const sending = frame === undefined ? Infinity : PIPE_ROOM * frame * 8 * (fps > 0 ? fps : 30);
    const rate = Math.min(link.capacity ?? Infinity, this.#target ?? Infinity, sending);
    const minRtt = link.minRtt;
    if (rate === Infinity || minRtt === undefined) return false;
    const pipe = rate / 8 * (minRtt + BUDGET_MARGIN_MS) / 1000;
    return window.bytesInFlight <= Math.max(pipe, frame ?? 0);
  }

  /**
   * Takes an acknowledgement's timestamps (the window has already freed
   * its frames). Absurd ones are ignored and counted; before the heartbeat
   * knows the peer's clock none are used (see {@linkcode LinkEstimator.take}).
   *
   * @param acked What the acknowledgement covered, with the frame's send time.
   * @param times The peer's timestamps and the ACK's arrival.
   * @param clock The heartbeat clock estimate.
   * @returns False when the timestamps were absurd.
   */
  acked(acked: AckedFrames, times: AckTimes, clock: ClockView): boolean {
    this.#stalled = false;
    this.#stalls = 0;
    const link = this.#link;
    const before = link.lastUpdate;
    const verdict = link.take(acked, times, clock);
    if (verdict === "absurd") this.#ignored++;
    if (verdict !== "used") return verdict !== "absurd";
    const dt = Math.min(200, Math.max(0, link.lastUpdate - before)) / 1000;
    this.#update(link.lastUpdate, dt);
    return true;
  }

  /**
   * Checks for an overdue acknowledgement (call it a few times a second): a
   * frame in flight for more than {@linkcode STALL_FACTOR} times the usual
   * response time (at least {@linkcode MIN_STALL_MS}) cuts the target to
   * {@linkcode STALL_CUT} of itself, once per such period, each period twice
   * as long as the last (a link that died is not "congested" down to
   * nothing before the heartbeat says so).
   *
   * @param now The current time.
   * @param oldestSentAt When the oldest frame in flight was sent, or undefined.
   */
  tick(now: number, oldestSentAt: number | undefined): void {
    if (oldestSentAt === undefined) return;
    const expected = Math.max(this.#link.expectedResponse ?? 500, MIN_STALL_MS / STALL_FACTOR);
    if (now - oldestSentAt <= STALL_FACTOR * expected) return;
    this.#stalled = true;
    if (now - this.#stallAt < STALL_FACTOR * expected * 2 ** this.#stalls) return;
    this.#stallAt = now;
    this.#stalls = Math.min(this.#stalls + 1, 16);
    const base = this.#target ?? this.#topDemand();
    if (base !== undefined) this.#target = this.#clamp(base * STALL_CUT);
  }

  /**
   * Forgets what was measured on the last link (a new connection, perhaps a
   * new path): the call starts again from the ceiling, one frame in flight
   * until the first acknowledgement. What frames cost at each rung (the
   * content's) is kept.
   */
  newLink(): void {
    this.#link.reset();
    this.#target = this.#startTarget();
    this.#stalls = 0;
    this.#stallAt = -Infinity;
    this.#stalled = false;
  }

  /** The estimates now. */
  estimate(): RateEstimate {
    const link = this.#link;
    const capacity = link.capacity, minRtt = link.minRtt;
    return {
      targetKbps: this.#target === null ? null : this.#target / 1000,
      capacityKbps: capacity === undefined ? null : capacity / 1000,
      queueDelayMs: link.queueDelay,
      minRttMs: minRtt ?? null,
      degraded: this.#rung !== 0,
    };
  }

  #startTarget(): number | null {
    return this.#o.maxKbps === null ? null : this.#o.maxKbps * 1000;
  }

  #update(now: number, dt: number): void {
    const link = this.#link;
    const queue = link.queueDelay!;
    // No capacity sample (frames too small to time): the target is not capped
    // by it; a delivery rate is no capacity (it is what was sent).
    const capacity = link.capacity;
    let target = this.#target ??
      (capacity === undefined ? this.#topDemand() ?? MIN_TARGET_BPS : TARGET_SHARE * capacity);
    if (queue > QUEUE_HIGH_MS) {
      if (now - this.#lastDecrease > (link.minRtt ?? 0) + 100) {
        const delivered = link.deliveryRate() ?? target;
        target = Math.min(target, delivered) * TARGET_SHARE;
        this.#lastDecrease = now;
      }
    } else if (queue < QUEUE_LOW_MS) {
      const growth = capacity !== undefined && capacity >= HEADROOM * target
        ? FAST_GROWTH_PER_S
        : GROWTH_PER_S;
      const grown = target * (1 + growth) ** dt;
      target = capacity === undefined ? grown : Math.min(grown, TARGET_SHARE * capacity);
    }
    // Never above what the link carries, whatever the queue says yet.
    if (capacity !== undefined) target = Math.min(target, 0.95 * capacity);
    this.#target = this.#clamp(target);
  }

  #clamp(target: number): number {
    let t = Math.max(MIN_TARGET_BPS, target);
    if (this.#o.maxKbps !== null) t = Math.min(t, this.#o.maxKbps * 1000);
    // No use aiming far above what the ceiling needs: coming down would take longer.
    const top = this.#topDemand();
    if (top !== undefined) t = Math.min(t, Math.max(1.5 * top, MIN_TARGET_BPS));
    return t;
  }

  // The ceiling's rate, bits/s, once a frame size is known.
  #topDemand(): number | undefined {
    const bytes = this.#predict(0);
    const fps = this.#rungs[0]!.fps;
    return bytes === undefined ? undefined : bytes * 8 * (fps > 0 ? fps : 30);
  }

  #predict(rung: number): number | undefined {
    return this.#model.predict(rung, rung === 0 && this.#o.asStored);
  }
}
