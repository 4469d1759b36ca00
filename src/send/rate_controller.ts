/**
 * {@linkcode RateController}: fits the sending direction to the link. From
 * each acknowledgement's timestamps it estimates the link's capacity (a
 * frame's bytes over the time its bytes took to arrive), the queueing delay
 * on the way (the one-way delay over its recent minimum), the minimum RTT
 * and the delivery rate; from those it keeps a target rate, picks each
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

/** The share of the estimated capacity the sender aims to use. */
export const TARGET_SHARE = 0.85;
/** Queueing delay above which the target steps down, ms. */
export const QUEUE_HIGH_MS = 25;
/** Queueing delay below which the target may step up, ms. */
export const QUEUE_LOW_MS = 8;
/** A better rung is taken only when its predicted size fits this share of the target's. */
export const STEP_UP_ROOM = 0.9;
/** Added to the min RTT in the bytes-in-flight budget, ms. */
export const BUDGET_MARGIN_MS = 15;
/** How much the target may grow per second while the queue is empty. */
export const GROWTH_PER_S = 0.8;
/** The same when the capacity is at least {@linkcode HEADROOM} times the target (a cap lifted). */
export const FAST_GROWTH_PER_S = 1.5;
/** Capacity over target from which the target grows at {@linkcode FAST_GROWTH_PER_S}. */
export const HEADROOM = 3;
/** The lowest target, bits/s. */
export const MIN_TARGET_BPS = 64_000;
/** An ACK this many times later than expected counts as congestion. */
export const STALL_FACTOR = 2;
/** How long minimum delays are remembered, ms. */
export const MIN_WINDOW_MS = 10_000;

const DISPERSION_SAMPLES = 7;
// The queueing delay acted on is the least of the last few samples: a queue
// in the network persists from frame to frame; a receiver that was busy for
// a moment (drawing a window on a shared core) delays one frame's times.
const QUEUE_SAMPLES = 3;
/** The shortest wait for an acknowledgement before it counts as overdue, ms. */
export const MIN_STALL_MS = 200;
const SEGMENT_BYTES = 1448; // a TCP segment's payload on Ethernet
const DELIVERY_SAMPLES = 32;
const DELIVERY_SPAN_MS = 500;

/** The peer's clock as the heartbeats estimate it. */
export interface ClockView {
  /** Null until the first heartbeat answer. */
  readonly rttMs: number | null;
  /** The peer's clock minus this one, ms. */
  readonly offsetMs: number;
}

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
  /** The minimum RTT seen, ms (null before an estimate). */
  minRttMs: number | null;
  /** Whether the current rung is below the ceiling. */
  degraded: boolean;
}

/**
 * A minimum over a sliding time window, in fixed memory: the minimum of
 * each second, for the last {@linkcode MIN_WINDOW_MS}.
 */
export class WindowedMin {
  #starts: Float64Array;
  #mins: Float64Array;
  #count = 0;
  #bucketMs: number;

  /**
   * @param windowMs How long a sample counts.
   * @param buckets How many parts the window is kept in.
   */
  constructor(windowMs = MIN_WINDOW_MS, buckets = 10) {
    this.#bucketMs = windowMs / buckets;
    this.#starts = new Float64Array(buckets);
    this.#mins = new Float64Array(buckets);
  }

  /**
   * Adds a sample.
   *
   * @param time When it was taken (times only move forward).
   * @param value The sample.
   */
  add(time: number, value: number): void {
    const n = this.#count, last = n - 1;
    if (n > 0 && time - this.#starts[last]! < this.#bucketMs) {
      if (value < this.#mins[last]!) this.#mins[last] = value;
      return;
    }
    if (n === this.#starts.length) {
      this.#starts.copyWithin(0, 1);
      this.#mins.copyWithin(0, 1);
      this.#count--;
    }
    this.#starts[this.#count] = time;
    this.#mins[this.#count] = value;
    this.#count++;
  }

  /**
   * The minimum of the samples within the window before `time`.
   *
   * @param time Now.
   * @returns The minimum, or undefined with no sample in the window.
   */
  get(time: number): number | undefined {
    const horizon = time - this.#bucketMs * this.#starts.length;
    let min: number | undefined;
    for (let i = 0; i < this.#count; i++) {
      if (this.#starts[i]! + this.#bucketMs < horizon) continue;
      if (min === undefined || this.#mins[i]! < min) min = this.#mins[i]!;
    }
    return min;
  }

  /** Forgets every sample. */
  clear(): void {
    this.#count = 0;
  }
}

/** Picks each frame's setting and how many bytes may be in flight. */
export class RateController {
  #o: RateControllerOptions;
  #rungs: Rung[];
  #model: SizeModel;
  #rung = 0;
  #target: number | null = null; // bits/s
  #minRtt = new WindowedMin();
  #minOwd = new WindowedMin();
  #dispersion = new Float64Array(DISPERSION_SAMPLES);
  #dispersionCount = 0;
  #dispersionNext = 0;
  #sorted = new Float64Array(DISPERSION_SAMPLES);
  #deliveryTime = new Float64Array(DELIVERY_SAMPLES);
  #deliveryBytes = new Float64Array(DELIVERY_SAMPLES);
  #deliveryCount = 0;
  #deliveryNext = 0;
  #ackedBytes = 0;
  #srtt: number | undefined;
  #rttvar = 0;
  #recentQueue = new Float64Array(QUEUE_SAMPLES).fill(Infinity);
  #recentQueueNext = 0;
  #queueDelay: number | null = null;
  #lastUpdate = 0;
  #lastDecrease = -Infinity;
  #stalled = false;
  #stallAt = -Infinity;
  #stalls = 0; // reductions in the current stall: each waits twice as long as the last
  #ignored = 0;

  /** @param options The ceiling, the degradation order, the user's cap, passthrough. */
  constructor(options: RateControllerOptions) {
    this.#o = options;
    this.#rungs = buildLadder(options.ceiling, options.degrade);
    this.#model = new SizeModel(this.#rungs);
    if (options.maxKbps !== null) this.#target = options.maxKbps * 1000;
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
   * immediate; stepping up needs the better rung to fit with room to spare.
   *
   * @returns The rung (do not modify it).
   */
  setting(): Rung {
    const target = this.#target;
    if (target === null) return this.#rungs[this.#rung = 0]!;
    let chosen = this.#rungs.length - 1;
    for (let i = 0; i < this.#rungs.length; i++) {
      const rung = this.#rungs[i]!;
      const predicted = this.#predict(i);
      if (predicted === undefined) {
        if (i === 0) {
          chosen = 0;
          break;
        }
        continue;
      }
      const perFrame = target / 8 / (rung.fps > 0 ? rung.fps : 30);
      if (predicted <= perFrame * (i < this.#rung ? STEP_UP_ROOM : 1)) {
        chosen = i;
        break;
      }
    }
    this.#rung = chosen;
    return this.#rungs[chosen]!;
  }

  /**
   * Learns from a frame produced at a setting.
   *
   * @param bytes Its size.
   * @param setting What it was made at (quality 0: sent as stored).
   */
  produced(bytes: number, setting: { quality: number; width: number; height: number }): void {
    const asStored = setting.quality === 0;
    const rungs = this.#rungs;
    for (let i = 0; i < rungs.length; i++) {
      const r = rungs[i]!;
      if (r.width !== setting.width || r.height !== setting.height) continue;
      if (asStored ? i === 0 : r.quality === setting.quality) {
        this.#model.learn(i, bytes, asStored);
        return;
      }
    }
  }

  /**
   * Whether another frame may be sent now: always with nothing in flight;
   * otherwise while the bytes in flight fit the pipe — the sending rate
   * (the target, or the capacity if lower) × (min RTT +
   * {@linkcode BUDGET_MARGIN_MS}), or one frame if that is more — so at
   * most that plus one frame is in flight; never while an
   * acknowledgement is overdue or before the first one (a peer that never
   * acknowledges gets one frame). Budgeting by the target rather than the
   * capacity bounds what a cap appearing on a fast link finds in flight.
   *
   * @param window The link's frames and bytes in flight.
   * @returns True to send.
   */
  maySend(window: { inFlight: number; bytesInFlight: number; open: boolean }): boolean {
    if (window.inFlight === 0) return true;
    if (!window.open || this.#stalled) return false;
    const capacity = this.#capacity() ?? this.#deliveryRate();
    const minRtt = this.#minRtt.get(this.#lastUpdate);
    if (capacity === undefined || minRtt === undefined) return false;
    const rate = Math.min(capacity, this.#target ?? capacity);
    const pipe = rate / 8 * (minRtt + BUDGET_MARGIN_MS) / 1000;
    // The next frame may go while what is in flight fits the pipe, or is
    // one frame: a frame larger than the pipe (a slow link) must not wait
    // for the last one's ACK, or the link would idle a round trip each time.
    return window.bytesInFlight <= Math.max(pipe, this.#predict(this.#rung) ?? 0);
  }

  /**
   * Takes an acknowledgement's timestamps. Absurd ones (not finite, out of
   * order, a frame held longer than its round trip, arrival before it was
   * sent or after the ACK came back on the heartbeat clock) are ignored
   * and counted. Before the heartbeat clock is known, none are used.
   *
   * @param acked What the acknowledgement covered, with the frame's send time.
   * @param times The peer's timestamps and the ACK's arrival.
   * @param clock The heartbeat clock estimate.
   * @returns False when the timestamps were ignored.
   */
  acked(acked: AckedFrames, times: AckTimes, clock: ClockView): boolean {
    const sent = acked.sentAt, { firstByte: f, lastByte: l, ackSent: a, arrival: r } = times;
    this.#stalled = false;
    this.#stalls = 0;
    // Until the heartbeat knows the peer's clock, times cannot be checked
    // against it: learn nothing yet (the first answer comes within a round trip).
    if (clock.rttMs === null) return true;
    if (!this.#plausible(sent, times, clock)) {
      this.#ignored++;
      return false;
    }
    const dt = Math.min(200, Math.max(0, r - this.#lastUpdate)) / 1000;
    this.#lastUpdate = r;
    const response = r - sent;
    if (this.#srtt === undefined) {
      this.#srtt = response;
      this.#rttvar = response / 2;
    } else {
      this.#rttvar += (Math.abs(response - this.#srtt) - this.#rttvar) / 4;
      this.#srtt += (response - this.#srtt) / 8;
    }
    this.#minRtt.add(r, response - (a - f));
    const owd = f - sent; // plus the clocks' offset, which the minimum takes away
    this.#minOwd.add(r, owd);
    this.#recentQueue[this.#recentQueueNext] = owd - this.#minOwd.get(r)!;
    this.#recentQueueNext = (this.#recentQueueNext + 1) % QUEUE_SAMPLES;
    let queue = Infinity;
    for (const q of this.#recentQueue) if (q < queue) queue = q;
    this.#queueDelay = queue;
    // The bytes that arrived after the first read: about one segment comes with the header.
    if (acked.frameBytes > 2 * SEGMENT_BYTES) {
      this.#dispersion[this.#dispersionNext] = (acked.frameBytes - SEGMENT_BYTES) * 8000 /
        Math.max(l - f, 0.5);
      this.#dispersionNext = (this.#dispersionNext + 1) % DISPERSION_SAMPLES;
      this.#dispersionCount = Math.min(DISPERSION_SAMPLES, this.#dispersionCount + 1);
    }
    this.#ackedBytes += acked.bytes;
    this.#deliveryTime[this.#deliveryNext] = l;
    this.#deliveryBytes[this.#deliveryNext] = this.#ackedBytes;
    this.#deliveryNext = (this.#deliveryNext + 1) % DELIVERY_SAMPLES;
    this.#deliveryCount = Math.min(DELIVERY_SAMPLES, this.#deliveryCount + 1);
    this.#update(queue, r, dt);
    return true;
  }

  /**
   * Checks for an overdue acknowledgement (call it a few times a second): a
   * frame in flight for more than {@linkcode STALL_FACTOR} times the usual
   * response time (smoothed, plus four deviations, as TCP's retransmission
   * timer; at least {@linkcode MIN_STALL_MS} in all) lowers the target, once
   * per such period.
   *
   * @param now The current time.
   * @param oldestSentAt When the oldest frame in flight was sent, or undefined.
   */
  tick(now: number, oldestSentAt: number | undefined): void {
    if (oldestSentAt === undefined) return;
    const expected = Math.max(
      this.#srtt === undefined ? 500 : this.#srtt + 4 * this.#rttvar,
      MIN_STALL_MS / STALL_FACTOR,
    );
    if (now - oldestSentAt <= STALL_FACTOR * expected) return;
    this.#stalled = true;
    // Once per period, each twice as long as the last (a link that died
    // is not "congested" down to nothing before the heartbeat says so).
    if (now - this.#stallAt < STALL_FACTOR * expected * 2 ** this.#stalls) return;
    this.#stallAt = now;
    this.#stalls = Math.min(this.#stalls + 1, 16);
    const top = this.#topDemand();
    const base = this.#target ?? top ?? undefined;
    if (base !== undefined) this.#target = this.#clamp(base * 0.7);
  }

  /**
   * Forgets what was measured on the last link (a new connection, perhaps a
   * new path): the call starts again from the ceiling, one frame in flight
   * until the first acknowledgement. What frames cost at each rung (the
   * content's) is kept.
   */
  newLink(): void {
    this.#target = this.#o.maxKbps === null ? null : this.#o.maxKbps * 1000;
    this.#stalls = 0;
    this.#stallAt = -Infinity;
    this.#minRtt.clear();
    this.#minOwd.clear();
    this.#dispersionCount = this.#dispersionNext = 0;
    this.#deliveryCount = this.#deliveryNext = 0;
    this.#srtt = undefined;
    this.#recentQueue.fill(Infinity);
    this.#queueDelay = null;
    this.#stalled = false;
  }

  /** The estimates now. */
  estimate(): RateEstimate {
    const capacity = this.#capacity();
    const minRtt = this.#minRtt.get(this.#lastUpdate);
    return {
      targetKbps: this.#target === null ? null : this.#target / 1000,
      capacityKbps: capacity === undefined ? null : capacity / 1000,
      queueDelayMs: this.#queueDelay,
      minRttMs: minRtt ?? null,
      degraded: this.#rung !== 0,
    };
  }

  #update(queue: number, now: number, dt: number): void {
    // Frames too small to time give no dispersion: the delivery rate stands in.
    const capacity = this.#capacity() ?? this.#deliveryRate();
    if (capacity === undefined) return;
    const share = TARGET_SHARE * capacity;
    let target = this.#target;
    if (target === null) {
      target = share;
    } else if (queue > QUEUE_HIGH_MS) {
      const minRtt = this.#minRtt.get(now) ?? 0;
      if (now - this.#lastDecrease > minRtt + 100) {
        const delivered = this.#deliveryRate() ?? capacity;
        target = Math.min(target * TARGET_SHARE, delivered * TARGET_SHARE);
        this.#lastDecrease = now;
      }
    } else if (queue < QUEUE_LOW_MS) {
      const growth = capacity >= HEADROOM * target ? FAST_GROWTH_PER_S : GROWTH_PER_S;
      target = Math.min(target * (1 + growth * dt), share);
    }
    // Never above what the link carries, whatever the queue says yet.
    target = Math.min(target, 0.95 * capacity);
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

  // The link's capacity, bits/s: the median of the recent dispersion
  // samples, or less when the last two agree on less (a cap that just
  // appeared shows in every frame from then on; one odd sample does not).
  #capacity(): number | undefined {
    const n = this.#dispersionCount;
    if (n === 0) return undefined;
    const sorted = this.#sorted.subarray(0, n);
    sorted.set(this.#dispersion.subarray(0, n));
    sorted.sort();
    const median = sorted[n >> 1]!;
    if (n < 2) return median;
    const last = (this.#dispersionNext - 1 + DISPERSION_SAMPLES) % DISPERSION_SAMPLES;
    const before = (last - 1 + DISPERSION_SAMPLES) % DISPERSION_SAMPLES;
    return Math.min(median, Math.max(this.#dispersion[last]!, this.#dispersion[before]!));
  }

  // Bytes acknowledged per second of the peer's arrival times, over the
  // last half second; undefined over too short a span.
  #deliveryRate(): number | undefined {
    const n = this.#deliveryCount;
    if (n < 2) return undefined;
    const newest = (this.#deliveryNext - 1 + DELIVERY_SAMPLES) % DELIVERY_SAMPLES;
    const t1 = this.#deliveryTime[newest]!, b1 = this.#deliveryBytes[newest]!;
    let t0 = t1, b0 = b1;
    for (let k = 1; k < n; k++) {
      const i = (newest - k + DELIVERY_SAMPLES) % DELIVERY_SAMPLES;
      if (t1 - this.#deliveryTime[i]! > DELIVERY_SPAN_MS) break;
      t0 = this.#deliveryTime[i]!;
      b0 = this.#deliveryBytes[i]!;
    }
    if (t1 - t0 < 50) return undefined;
    return (b1 - b0) * 8000 / (t1 - t0);
  }

  #plausible(sent: number, t: AckTimes, clock: ClockView): boolean {
    const { firstByte: f, lastByte: l, ackSent: a, arrival: r } = t;
    if (!(Number.isFinite(f) && Number.isFinite(l) && Number.isFinite(a))) return false;
    if (!(f <= l && l <= a)) return false;
    // The peer cannot have held the frame longer than its whole round trip.
    if (a - f > r - sent + 1) return false;
    if (clock.rttMs !== null) {
      const slack = clock.rttMs + 20;
      if (f - clock.offsetMs < sent - slack) return false; // arrived before it was sent
      if (a - clock.offsetMs > r + slack) return false; // acknowledged after the ACK arrived
    }
    return true;
  }
}
