/**
 * The recording worker: takes frames out of the ring the main thread fills
 * and writes them into a Matroska file (`ffi/recorder.ts`), off the display
 * path. The file's header names each track's frame size, so the first
 * frames are held (at most {@linkcode HOLD_MS} or {@linkcode HOLD_FRAMES})
 * until every track has shown its size; time 0 is the earliest of them.
 *
 * A track's size is the larger of the size the main thread saw earlier in
 * the call (the call's size, before a slow link made the sender send
 * smaller frames) and that of the track's first frame. Every frame of the
 * track is written at that size: a frame at it goes into the file as it
 * came, byte for byte; one of another size (the sender adapting to the
 * link) is decoded, scaled to it and encoded again (`fit_frame.ts`), so
 * that the file plays at one size everywhere. What is not a JPEG, or does
 * not decode when it needs scaling, is left out.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { loadRecordShim, ShimLoadError } from "../../ffi/loader.ts";
import { MkvRecorder } from "../../ffi/recorder.ts";
import { messageOf } from "../errors.ts";
import { FrameFitter } from "./fit_frame.ts";
import { FrameRing } from "./frame_ring.ts";
import { jpegSize } from "./jpeg_size.ts";
import type { FromRecordWorker, RecordWorkerStart } from "./messages.ts";

/** The longest the first frames wait for every track's size. */
export const HOLD_MS = 1000;
/** How often the worker looks for frames (the main thread does not wake it: that costs it a system call per frame). */
export const POLL_MS = 10;
/** The most frames held before the header is written anyway. */
export const HOLD_FRAMES = 60;

let path = "";
let rec: MkvRecorder | undefined;
let base = 0;
let failed = false;

/** A frame size: width, height. */
type Size = [number, number];

// Each track's size known from earlier in the call, its first frame's, and
// the size it is written at (from the header on).
let hints: Array<Size | null> = [];
let firsts: Array<Size | null> = [];
let sizes: Size[] = [];
let held: Array<{ track: number; bytes: Uint8Array<ArrayBuffer>; size: Size; at: number }> = [];
// Made on the first frame to scale; null when its libraries cannot load.
let fitter: FrameFitter | null | undefined;
let holdUntil = Infinity;
let frames: number[] = [];

function post(message: FromRecordWorker): void {
  self.postMessage(message);
}

function fail(error: unknown): void {
  failed = true;
  held = [];
  rec?.close(); // without the index: the file still reads up to the last frame
  rec = undefined;
  post({ kind: "failed", message: messageOf(error) });
}

function write(track: number, bytes: Uint8Array, at: number): void {
  try {
    rec!.writeSync(track, bytes, Math.max(0, (at - base) * 1000));
    frames[track]!++;
  } catch (error) {
    fail(error);
  }
}

// Writes the header with each track's size (its hint, else its first
// frame's; a track with neither yet takes the first size seen), then the
// held frames in time order.
function begin(): void {
  holdUntil = Infinity;
  if (failed || rec !== undefined || held.length === 0) return;
  const first = firsts.find((s) => s !== null)!;
  // A hint is a size the call has shown (a picture that decoded, or this
  // side's --size): trusted over a first frame's header, which a peer writes.
  sizes = firsts.map((s, track) => hints[track] ?? s ?? first);
  try {
    rec = MkvRecorder.open(path, { sizes });
  } catch (error) {
    fail(error);
    return;
  }
  const pending = held.sort((a, b) => a.at - b.at);
  held = [];
  base = pending[0]!.at;
  for (const frame of pending) {
    if (!failed) record(frame.track, frame.bytes, frame.size, frame.at);
  }
}

// Writes a frame at its track's size: as it is, or scaled to it. Should
// scaling itself fail (its libraries are missing, memory is short), the
// frame goes in as it is: better a frame of another size than none.
function record(track: number, bytes: Uint8Array, size: Size, at: number): void {
  const [width, height] = sizes[track]!;
  if ((size[0] === width && size[1] === height) || fitter === null) {
    write(track, bytes, at);
    return;
  }
  let fitted: Uint8Array | null;
  try {
    fitted = (fitter ??= new FrameFitter()).fit(bytes, width, height);
  } catch (error) {
    if (error instanceof ShimLoadError) fitter = null;
    write(track, bytes, at);
    return;
  }
  if (fitted !== null) write(track, fitted, at); // else it does not decode: no picture to record
}

function frame(track: number, bytes: Uint8Array, at: number): void {
  if (failed || track < 0 || track >= firsts.length) return;
  const size = jpegSize(bytes);
  if (size === null) return; // not a JPEG: nothing to record
  if (rec !== undefined) {
    record(track, bytes, size, at);
    return;
  }
  firsts[track] ??= size;
  held.push({ track, bytes: new Uint8Array(bytes), size, at });
  if (held.length === 1) holdUntil = performance.now() + HOLD_MS;
  if (firsts.every((s) => s !== null) || held.length >= HOLD_FRAMES) begin();
}

function finish(): void {
  if (!failed) begin();
  let error: string | undefined;
  if (rec !== undefined) {
    try {
      rec.finishSync();
    } catch (e) {
      error = messageOf(e);
    }
    rec.close();
  }
  fitter?.close();
  let removed = false;
  if (frames.every((n) => n === 0)) {
    try {
      Deno.removeSync(path);
      removed = true;
    } catch {
      // Already gone.
    }
  }
  post({ kind: "closed", frames, removed, error });
}

// Blocks this worker from here on: frames and the end come through the ring.
function serve(ring: FrameRing): void {
  while (true) {
    const wait = Math.min(POLL_MS, Math.max(0, holdUntil - performance.now()));
    const got = ring.take(wait);
    if (got === "closed") break;
    if (got !== "timeout") frame(got.track, got.bytes, got.at);
    if (performance.now() >= holdUntil) begin();
  }
  ring.release();
  finish();
  self.close();
}

self.onmessage = (event: MessageEvent<RecordWorkerStart>) => {
  const start = event.data;
  path = start.path;
  hints = start.sizes ?? new Array(start.tracks).fill(null);
  firsts = new Array(start.tracks).fill(null);
  frames = new Array(start.tracks).fill(0);
  try {
    loadRecordShim();
  } catch (error) {
    post({ kind: "failed", message: messageOf(error) });
    self.close();
    return;
  }
  // Touch every page of the ring now, so that the main thread's copies
  // never wait for the kernel to map one.
  new Uint8Array(start.memory).fill(0);
  post({ kind: "ready" });
  serve(new FrameRing(start.memory));
};
