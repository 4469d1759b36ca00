/**
 * {@linkcode Recording}: one recording file, written by a worker thread of
 * its own (`record_worker.ts`). The main thread only copies each JPEG into
 * a ring in shared memory (`frame_ring.ts`) and wakes the worker; with the
 * ring full (the disk is slow), a frame is skipped and counted, never waited
 * for.
 *
 * @module
 */

import { CLOSE_TIMEOUT_MS, TIMED_OUT, withTimeout } from "../async.ts";
import { CallError } from "../errors.ts";
import { FrameRing } from "./frame_ring.ts";
import type { FromRecordWorker, RecordWorkerStart } from "./messages.ts";

/** The ring's default size: about a second of two 640x480 tracks at 30 fps. */
export const RING_BYTES = 8 * 1024 * 1024;

/** What {@linkcode Recording.open} needs besides the path. */
export interface RecordingOptions {
  /** How many tracks the file has (frames name theirs, from 0). */
  tracks: number;
  /**
   * Each track's frame size as seen earlier in the call, if any: the track
   * is recorded at the larger of it and its first frame's size, every frame
   * brought to that size (see `record_worker.ts`).
   */
  sizes?: Array<[number, number] | null>;
  /** Called once if writing fails (a full disk): the recording has stopped. */
  onFailed(message: string): void;
  /** Bytes of frames that may wait for the disk (default {@linkcode RING_BYTES}). */
  ringBytes?: number;
}

/** How a recording ended. */
export interface RecordingResult {
  /** The file. */
  path: string;
  /** Frames written, per track. */
  frames: number[];
  /** Frames skipped because the writer was behind. */
  skipped: number;
  /** Whether the file was removed because no frame came. */
  removed: boolean;
  /** Why writing stopped early, if it did. */
  error?: string;
}

/** One file being recorded. */
export class Recording {
  #path: string;
  #worker: Worker;
  #ring: FrameRing;
  #options: RecordingOptions;
  #skipped = 0;
  #error: string | undefined;
  #closing: Promise<RecordingResult> | undefined;
  #onClosed: ((message: FromRecordWorker & { kind: "closed" }) => void) | undefined;

  private constructor(path: string, worker: Worker, ring: FrameRing, options: RecordingOptions) {
    this.#path = path;
    this.#worker = worker;
    this.#ring = ring;
    this.#options = options;
    worker.onmessage = (event: MessageEvent<FromRecordWorker>) => this.#receive(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#receive({ kind: "failed", message: `the recording worker failed: ${event.message}` });
      this.#receive({ kind: "closed", frames: [], removed: false });
    };
  }

  /**
   * Starts a worker for `path` (a file already claimed) and waits until it
   * is ready to write.
   *
   * @param path The file.
   * @param options The tracks, the failure hook, the ring's size.
   * @returns The recording.
   * @throws {CallError} When the recording library cannot be loaded.
   */
  static async open(path: string, options: RecordingOptions): Promise<Recording> {
    const worker = new Worker(new URL("./record_worker.ts", import.meta.url), { type: "module" });
    const memory = FrameRing.memory(options.ringBytes ?? RING_BYTES);
    const answer = await new Promise<FromRecordWorker>((resolve) => {
      worker.onmessage = (event: MessageEvent<FromRecordWorker>) => resolve(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        resolve({ kind: "failed", message: `the recording worker failed: ${event.message}` });
      };
      const start: RecordWorkerStart = {
        path,
        tracks: options.tracks,
        sizes: options.sizes,
        memory,
      };
      worker.postMessage(start);
    });
    if (answer.kind !== "ready") {
      worker.terminate();
      const why = answer.kind === "failed" ? answer.message : "no answer";
      throw new CallError(`Cannot record to "${path}": ${why}`);
    }
    return new Recording(path, worker, new FrameRing(memory), options);
  }

  /** The file. */
  get path(): string {
    return this.#path;
  }

  /** Frames skipped so far because the ring was full. */
  get skipped(): number {
    return this.#skipped;
  }

  /**
   * Copies a frame into the ring for the worker, or skips it when the ring
   * is full (the disk is behind). Never waits.
   *
   * @param track Its track, from 0.
   * @param jpeg The bytes (copied before this returns).
   * @param at Its time, ms since the Unix epoch on this machine's clock.
   * @returns Whether the frame was taken.
   */
  offer(track: number, jpeg: Uint8Array, at: number): boolean {
    if (this.#closing !== undefined || this.#error !== undefined) return false;
    if (this.#ring.put(track, jpeg, at)) return true;
    this.#skipped++;
    return false;
  }

  /**
   * Finishes the file (writes its index) and ends the worker. A second call
   * returns the same promise.
   *
   * @returns How the recording went.
   */
  close(): Promise<RecordingResult> {
    return this.#closing ??= this.#close();
  }

  async #close(): Promise<RecordingResult> {
    const closed = new Promise<FromRecordWorker & { kind: "closed" }>((resolve) => {
      this.#onClosed = resolve;
    });
    this.#ring.close();
    // Writing what is left and the index takes milliseconds; a worker stuck
    // on a dead disk is left behind.
    const answer = await withTimeout(closed, CLOSE_TIMEOUT_MS);
    this.#worker.terminate();
    return {
      path: this.#path,
      frames: answer === TIMED_OUT ? [] : answer.frames,
      skipped: this.#skipped,
      removed: answer !== TIMED_OUT && answer.removed,
      error: this.#error ??
        (answer === TIMED_OUT ? "the file could not be finished in time" : answer.error),
    };
  }

  #receive(message: FromRecordWorker): void {
    if (message.kind === "failed") {
      if (this.#error !== undefined) return;
      this.#error = message.message;
      this.#options.onFailed(message.message);
    } else if (message.kind === "closed") this.#onClosed?.(message);
  }
}
