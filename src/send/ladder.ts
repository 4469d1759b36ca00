/**
 * The quality ladder: the settings a sender steps through when the link
 * lacks room ({@linkcode buildLadder}), and a closed-loop prediction of how
 * many bytes a frame at each will take ({@linkcode SizeModel}). Pure: no
 * I/O, no clock.
 *
 * @module
 */

import type { FrameSetting } from "./frame_setting.ts";

/** What to give up first when the link lacks room (`--degrade`), WebRTC's meanings. */
export type DegradePreference = "balanced" | "resolution" | "framerate";

/** The lowest quality a full-size frame drops to before its size drops. */
export const QUALITY_FLOOR = 40;

/** One step of the ladder. */
export interface Rung extends FrameSetting {
  /** Which size of the ladder's sizes (0: the call's size). */
  sizeIndex: number;
}

/** The sizes a ladder uses, as fractions of the call's width and height. */
export const SIZE_STEPS = [1, 0.75, 0.5] as const;

/**
 * The lowest quality of all, at the smallest size, before (and while) the
 * frame rate drops: real footage at 320x240 needs about 2 Mbit/s at
 * quality 40 and 30 fps.
 */
export const LOWEST_QUALITY = 25;

/**
 * The ladder for a call, best first. `balanced` lowers quality to
 * {@linkcode QUALITY_FLOOR}, then the size (3/4, then 1/2 of each side,
 * each from the ceiling quality down), then the quality further at the
 * smallest size (to {@linkcode LOWEST_QUALITY}), then the frame rate (2/3,
 * 1/2, 1/3, each from quality 40 down); `resolution` keeps the size and
 * lowers quality, then the rate; `framerate` keeps the rate and lowers
 * quality and size.
 *
 * @example
 * ```ts
 * const ladder = buildLadder({ quality: 80, width: 640, height: 480, fps: 30 }, "balanced");
 * ladder[0]; // { quality: 80, width: 640, height: 480, fps: 30, sizeIndex: 0 }
 * ladder.at(-1); // { quality: 25, width: 320, height: 240, fps: 10, sizeIndex: 2 }
 * ```
 *
 * @param ceiling The call's setting: `--quality`, `--size`, `--fps`.
 * @param degrade What to give up first.
 * @returns The rungs, best first; the first is the ceiling itself.
 */
export function buildLadder(ceiling: FrameSetting, degrade: DegradePreference): Rung[] {
  const steps = (from: number, to: number) => {
    const out = [from];
    for (let q = Math.ceil(from / 5) * 5 - 5; q >= to; q -= 5) out.push(q);
    return out;
  };
  const top = steps(ceiling.quality, QUALITY_FLOOR);
  // Below the floor, at the smallest size: 35, 30, 25 (for a ceiling above them).
  const low = steps(Math.min(ceiling.quality, QUALITY_FLOOR), LOWEST_QUALITY).slice(1);
  // At a lower frame rate, from 40 (or the ceiling) down to the lowest again.
  const slow = steps(Math.min(ceiling.quality, QUALITY_FLOOR), LOWEST_QUALITY);
  // The call's own size exactly (an odd --size too); smaller ones even.
  const sizes = SIZE_STEPS.map((fraction, i) =>
    i === 0 ? { width: ceiling.width, height: ceiling.height } : {
      width: Math.min(ceiling.width, even(ceiling.width * fraction)),
      height: Math.min(ceiling.height, even(ceiling.height * fraction)),
    }
  ).filter((size, i) => i === 0 || (size.width >= 16 && size.height >= 16));
  const fps = ceiling.fps;
  const base = fps > 0 ? fps : 30;
  const rates = [2 / 3, 1 / 2, 1 / 3].map((f) => Math.round(base * f))
    .filter((r, i, all) => r >= 5 && (fps === 0 || r < fps) && (i === 0 || r < all[i - 1]!));
  const rungs: Rung[] = [];
  const add = (sizeIndex: number, quality: number, rate: number) =>
    rungs.push({ quality, ...sizes[sizeIndex]!, fps: rate, sizeIndex });
  const last = degrade === "resolution" ? 0 : sizes.length - 1;
  for (let s = 0; s <= last; s++) for (const q of top) add(s, q, fps);
  for (const q of low) add(last, q, fps);
  if (degrade !== "framerate") {
    for (const rate of rates) for (const q of slow) add(last, q, rate);
  }
  return rungs;
}

// The relative size of a JPEG at each quality (multiples of 5, 10 to 100),
// 1 at 80: the mean of a test pattern's and real footage's (vtest.avi) at
// 640x480, measured with the shim's encoder. Content moves the curve; the
// model's corrections learn how.
const SHAPE = [
  0.33,
  0.38,
  0.42,
  0.46,
  0.5,
  0.53,
  0.56,
  0.595,
  0.62,
  0.655,
  0.69,
  0.74,
  0.8,
  0.875,
  1,
  1.145,
  1.42,
  2.09,
  4.17,
];

/**
 * A JPEG's typical size at `quality` relative to its size at quality 80.
 *
 * @param quality 1 to 100.
 * @returns The ratio (interpolated between multiples of 5).
 */
export function qualityShape(quality: number): number {
  const x = (Math.min(100, Math.max(10, quality)) - 10) / 5;
  const i = Math.min(SHAPE.length - 2, Math.floor(x));
  return SHAPE[i]! + (SHAPE[i + 1]! - SHAPE[i]!) * (x - i);
}

/** How fast the model follows the sizes produced (per frame). */
const LEVEL_GAIN = 0.3;
/** How fast a rung's own correction is learned (per frame at that rung). */
const RUNG_GAIN = 0.2;

/**
 * Predicts the bytes of a frame at each rung from the frames actually
 * produced: a level per size (bytes at quality 80, following the content),
 * times the quality's typical shape, times a correction each rung learns
 * when used. Sizes never produced are predicted from those that were, by
 * area.
 */
export class SizeModel {
  #rungs: readonly Rung[];
  #level: Array<number | undefined>;
  #correction: Float64Array;
  #asStoredBytes: number | undefined;

  /** @param rungs The ladder (its sizes and qualities). */
  constructor(rungs: readonly Rung[]) {
    this.#rungs = rungs;
    this.#level = new Array(SIZE_STEPS.length).fill(undefined);
    this.#correction = new Float64Array(rungs.length).fill(1);
  }

  /**
   * Learns from a frame produced.
   *
   * @param rung The rung's index it was made at.
   * @param bytes Its size.
   * @param asStored Whether it was sent as the source stored it (passthrough).
   */
  learn(rung: number, bytes: number, asStored = false): void {
    if (!(bytes > 0 && Number.isFinite(bytes))) return;
    if (asStored) {
      this.#asStoredBytes = ewma(this.#asStoredBytes, bytes, LEVEL_GAIN);
      // Until a frame is re-encoded, guess that the source's quality is the ceiling's.
      this.#level[0] ??= bytes / qualityShape(this.#rungs[0]!.quality);
      return;
    }
    const r = this.#rungs[rung];
    if (r === undefined) return;
    const shape = qualityShape(r.quality);
    // The first frame at a size sets its level; the rung's correction learns
    // only against a level of that size's own (one guessed from another
    // size's by area would put the guess's error into this rung for good).
    const predicted = this.#level[r.sizeIndex];
    if (predicted !== undefined) {
      const ratio = bytes / (predicted * shape);
      const c = this.#correction[rung]!;
      this.#correction[rung] = clamp(c + (ratio - c) * RUNG_GAIN, 0.25, 4);
    }
    const level = bytes / (shape * this.#correction[rung]!);
    this.#level[r.sizeIndex] = ewma(this.#level[r.sizeIndex], level, LEVEL_GAIN);
  }

  /**
   * The predicted bytes of a frame at `rung`.
   *
   * @param rung The rung's index.
   * @param asStored Predict a frame sent as stored (passthrough's top rung).
   * @returns Bytes, or undefined before any frame was learned.
   */
  predict(rung: number, asStored = false): number | undefined {
    if (asStored && this.#asStoredBytes !== undefined) return this.#asStoredBytes;
    const r = this.#rungs[rung];
    if (r === undefined) return undefined;
    const level = this.#levelOf(r.sizeIndex);
    if (level === undefined) return undefined;
    return level * qualityShape(r.quality) * this.#correction[rung]!;
  }

  // A size's level: learned, or scaled by area from the nearest learned size.
  #levelOf(sizeIndex: number): number | undefined {
    const own = this.#level[sizeIndex];
    if (own !== undefined) return own;
    let best: number | undefined, distance = Infinity;
    for (let i = 0; i < this.#level.length; i++) {
      const level = this.#level[i];
      if (level === undefined || Math.abs(i - sizeIndex) >= distance) continue;
      distance = Math.abs(i - sizeIndex);
      const area = (SIZE_STEPS[sizeIndex]! / SIZE_STEPS[i]!) ** 2;
      best = level * area;
    }
    return best;
  }
}

function ewma(current: number | undefined, sample: number, gain: number): number {
  return current === undefined ? sample : current + (sample - current) * gain;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

// Rounds to an even number of pixels (JPEG's chroma subsampling likes them).
function even(v: number): number {
  return Math.max(2, Math.round(v / 2) * 2);
}
