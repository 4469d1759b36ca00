/**
 * What the main thread and the recording worker say to each other (a module
 * of its own, so that neither side loads the other's code). The frames
 * themselves go through a {@linkcode FrameRing} in shared memory, not in
 * messages: a message costs the main thread far more than a copy.
 *
 * @module
 */

import type { RingMemory } from "./frame_ring.ts";

/** Main thread to worker: the one message. */
export interface RecordWorkerStart {
  /** The file (already claimed, empty); written from the first frame. */
  path: string;
  /** How many tracks. */
  tracks: number;
  /**
   * Each track's size as seen earlier in the call (null: none seen); the
   * track is written at the larger of it and its first frame's size.
   */
  sizes?: Array<[number, number] | null>;
  /** The ring the frames come through; closing it ends the recording. */
  memory: RingMemory;
}

/** Worker to main thread. */
export type FromRecordWorker =
  /** The library loaded: frames may come. */
  | { kind: "ready" }
  /** Opening or writing failed: the recording has stopped (the file keeps what was written). */
  | { kind: "failed"; message: string }
  /** The file is finished (or removed, when no frame came); frames written per track. */
  | { kind: "closed"; frames: number[]; removed: boolean; error?: string };
