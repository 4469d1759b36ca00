/**
 * The recording worker: takes frames out of the ring the main thread fills
 * and writes them into a Matroska file (`ffi/recorder.ts`), off the display
 * path. The file's header names each track's frame size, so the first
 * frames are held (at most {@linkcode HOLD_MS} or {@linkcode HOLD_FRAMES})
 * until every track has shown its size; time 0 is the earliest of them.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { loadRecordShim } from "../../ffi/loader.ts";
import { MkvRecorder } from "../../ffi/recorder.ts";
import { messageOf } from "../errors.ts";
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
let sizes: Array<[number, number] | null> = [];
let held: Array<{ track: number; bytes: Uint8Array<ArrayBuffer>; at: number }> = [];
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

// Writes the header with the sizes seen (a track with none yet takes the
// first size seen: Matroska keeps each frame's own size anyway), then the
// held frames in time order.
function begin(): void {
  holdUntil = Infinity;
  if (failed || rec !== undefined || held.length === 0) return;
  const first = sizes.find((s) => s !== null)!;
  try {
    rec = MkvRecorder.open(path, { sizes: sizes.map((s) => s ?? first) });
  } catch (error) {
    fail(error);
    return;
  }
  const pending = held.sort((a, b) => a.at - b.at);
  held = [];
  base = pending[0]!.at;
  for (const frame of pending) {
    if (!failed) write(frame.track, frame.bytes, frame.at);
  }
}

function frame(track: number, bytes: Uint8Array, at: number): void {
  if (failed || track < 0 || track >= sizes.length) return;
  if (rec !== undefined) {
    write(track, bytes, at);
    return;
  }
  sizes[track] ??= jpegSize(bytes);
  if (sizes[track] === null) return; // not a JPEG: nothing to record
  held.push({ track, bytes: new Uint8Array(bytes), at });
  if (held.length === 1) holdUntil = performance.now() + HOLD_MS;
  if (sizes.every((s) => s !== null) || held.length >= HOLD_FRAMES) begin();
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
  sizes = new Array(start.tracks).fill(null);
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
