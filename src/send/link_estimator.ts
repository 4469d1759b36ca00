/**
 * {@linkcode LinkEstimator}: what the acknowledgements' timestamps say about
 * the way to the peer — its capacity, the queueing delay on it, its minimum
 * round trip, the delivery rate and the usual response time — all end to
 * end, so the same holds through a relay. It checks the peer's timestamps
 * before it believes them. Pure: no I/O; times are passed in (ms since the
 * Unix epoch). The {@linkcode RateController} decides what to do with it.
 *
 * @module
 */

import type { AckTimes } from "../net/protocol.ts";
import type { AckedFrames } from "./ack_window.ts";

/** How long minimum delays are remembered, ms. */
export const MIN_WINDOW_MS = 10_000;
/** How long a capacity sample counts, ms (a cap that lifted while frames were too small to time). */
export const CAPACITY_MAX_AGE_MS = 5000;
/** A TCP segment's payload on Ethernet: about what arrives with a frame's header. */
export const SEGMENT_BYTES = 1448;

const DISPERSION_SAMPLES = 7;
const DELIVERY_SAMPLES = 32;
const DELIVERY_SPAN_MS = 500;
// The queueing delay reported is the least of the last few samples: a queue
// in the network persists from frame to frame; a receiver that was busy for
// a moment (drawing a window on a shared core) delays one frame's times.
const QUEUE_SAMPLES = 3;

/** The peer's clock as the heartbeats estimate it. */
export interface ClockView {
  /** Null until the first heartbeat answer. */
  readonly rttMs: number | null;
  /** The peer's clock minus this one, ms. */
  readonly offsetMs: number;
}

/**
 * What became of an acknowledgement's timestamps: used; absurd (ignored,
 * to be counted); or unchecked (ignored, before the heartbeat knows the
 * peer's clock).
 */
export type AckVerdict = "used" | "absurd" | "unchecked";

/**
 * A minimum over a sliding time window, in fixed memory: the minimum of
 * each part of the window (a tenth, by default).
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

/** Estimates the way to the peer from acknowledgements. Fixed memory. */
export class LinkEstimator {
  #minRtt = new WindowedMin();
  #minOwd = new WindowedMin();
  #dispersion = new Float64Array(DISPERSION_SAMPLES);
  #dispersionAt = new Float64Array(DISPERSION_SAMPLES).fill(-Infinity);
  #dispersionNext = 0;
  #sorted = new Float64Array(DISPERSION_SAMPLES);
  #capacity: number | undefined;
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

  /**
   * Takes an acknowledgement. Its timestamps are checked first: not
   * finite, out of order (first byte, last byte, ACK sent), a frame held
   * longer than its whole round trip, or — on the heartbeat clock — arriving
   * before it was sent or acknowledged after the ACK came back: absurd.
   * Before the heartbeat knows the peer's clock, times that pass the other
   * checks are not used either (they cannot be checked against it).
   *
   * @param acked What the acknowledgement covered, with the frame's send time.
   * @param times The peer's timestamps and the ACK's arrival.
   * @param clock The heartbeat clock estimate.
   * @returns What became of the timestamps.
   */
  take(acked: AckedFrames, times: AckTimes, clock: ClockView): AckVerdict {
    const sent = acked.sentAt, { firstByte: f, lastByte: l, ackSent: a, arrival: r } = times;
    if (!(Number.isFinite(f) && Number.isFinite(l) && Number.isFinite(a))) return "absurd";
    if (!(f <= l && l <= a)) return "absurd";
    // The peer cannot have held the frame longer than its whole round trip.
    if (a - f > r - sent + 1) return "absurd";
    if (clock.rttMs === null) return "unchecked";
    const slack = clock.rttMs + 20;
    if (f - clock.offsetMs < sent - slack) return "absurd"; // arrived before it was sent
    if (a - clock.offsetMs > r + slack) return "absurd"; // acknowledged after the ACK arrived
    this.#learn(acked, f, l, a, r);
    return "used";
  }

  /** When the last timestamps were used (the ACK's arrival). */
  get lastUpdate(): number {
    return this.#lastUpdate;
  }

  /**
   * The link's capacity, bits/s: the median of the recent dispersion
   * samples (a frame's bytes after its first segment over the time they
   * took to arrive), or less when the last two agree on less (a cap that
   * just appeared shows in every frame from then on; one odd sample does
   * not); undefined with no sample younger than {@linkcode CAPACITY_MAX_AGE_MS}.
   */
  get capacity(): number | undefined {
    return this.#capacity;
  }

  /** Queueing delay towards the peer, ms (null before a sample). */
  get queueDelay(): number | null {
    return this.#queueDelay;
  }

  /** The minimum round trip of the last {@linkcode MIN_WINDOW_MS}, without the peer's holding. */
  get minRtt(): number | undefined {
    return this.#minRtt.get(this.#lastUpdate);
  }

  /**
   * How long an acknowledgement usually takes: the smoothed response
   * time plus four deviations, as TCP's retransmission timer (undefined
   * before a sample).
   */
  get expectedResponse(): number | undefined {
    return this.#srtt === undefined ? undefined : this.#srtt + 4 * this.#rttvar;
  }

  /**
   * Bytes acknowledged per second of the peer's arrival times over the last
   * half second, bits/s: what the link delivered, no more than was sent
   * (undefined over too short a span).
   */
  deliveryRate(): number | undefined {
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

  /** Forgets everything (a new connection, perhaps a new path). */
  reset(): void {
    this.#minRtt.clear();
    this.#minOwd.clear();
    this.#dispersionAt.fill(-Infinity);
    this.#capacity = undefined;
    this.#deliveryCount = this.#deliveryNext = 0;
    this.#srtt = undefined;
    this.#recentQueue.fill(Infinity);
    this.#queueDelay = null;
  }

  #learn(acked: AckedFrames, f: number, l: number, a: number, r: number): void {
    const sent = acked.sentAt;
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
    for (let i = 0; i < QUEUE_SAMPLES; i++) queue = Math.min(queue, this.#recentQueue[i]!);
    this.#queueDelay = queue;
    // Frames of one segment or two arrive together: nothing to time.
    if (acked.frameBytes > 2 * SEGMENT_BYTES) {
      const i = this.#dispersionNext;
      this.#dispersion[i] = (acked.frameBytes - SEGMENT_BYTES) * 8000 / Math.max(l - f, 0.5);
      this.#dispersionAt[i] = r;
      this.#dispersionNext = (i + 1) % DISPERSION_SAMPLES;
    }
    this.#capacity = this.#capacityAt(r);
    this.#ackedBytes += acked.bytes;
    this.#deliveryTime[this.#deliveryNext] = l;
    this.#deliveryBytes[this.#deliveryNext] = this.#ackedBytes;
    this.#deliveryNext = (this.#deliveryNext + 1) % DELIVERY_SAMPLES;
    this.#deliveryCount = Math.min(DELIVERY_SAMPLES, this.#deliveryCount + 1);
  }

  #capacityAt(now: number): number | undefined {
    const sorted = this.#sorted;
    let n = 0;
    for (let i = 0; i < DISPERSION_SAMPLES; i++) {
      if (now - this.#dispersionAt[i]! > CAPACITY_MAX_AGE_MS) continue;
      // Insertion into the sorted prefix (seven samples at most).
      const v = this.#dispersion[i]!;
      let j = n++;
      while (j > 0 && sorted[j - 1]! > v) {
        sorted[j] = sorted[j - 1]!;
        j--;
      }
      sorted[j] = v;
    }
    if (n === 0) return undefined;
    const median = sorted[n >> 1]!;
    const last = (this.#dispersionNext - 1 + DISPERSION_SAMPLES) % DISPERSION_SAMPLES;
    const before = (last - 1 + DISPERSION_SAMPLES) % DISPERSION_SAMPLES;
    const oldest = Math.min(this.#dispersionAt[last]!, this.#dispersionAt[before]!);
    if (n < 2 || now - oldest > CAPACITY_MAX_AGE_MS) return median;
    return Math.min(median, Math.max(this.#dispersion[last]!, this.#dispersion[before]!));
  }
}
