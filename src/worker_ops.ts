/**
 * What the main thread and the two frame workers say to each other: the
 * operations each worker serves over its `AtomicChannel`, where
 * their arguments and results go, the codes their results use, the capture
 * worker's first message, and how an error crosses from a worker to the main
 * thread. (A module of its own, so that the main thread can use these
 * without loading a worker's code.)
 *
 * @module
 */

import type { ChannelMemory } from "./atomic_channel.ts";
import type { GrabberOptions, SourceMode } from "./send/grabber.ts";
import type { WorkerFailure } from "./worker_failure.ts";

/** The capture worker's operations, and where their arguments and results go. */
export const CaptureOp = {
  /**
   * Grab the next frame (`Grabber.grab`). Arguments: `float(0)` the
   * buffer's address, `int(0)` its length; `int(3)` the JPEG quality,
   * `int(4)` the width and `int(5)` the height wanted (the grabber clamps
   * them to what it can make). Results: `int(1)` a
   * {@linkcode GrabCode}; `int(2)` the frame's length, or the size needed;
   * `float(1)` the capture time; for a frame, `int(6)` the quality it was
   * encoded at (`AS_STORED`, 0: sent as stored), `int(7)` its width and
   * `int(8)` its height.
   */
  GRAB: 1,
  /** Seek a video file back to its start. */
  REWIND: 2,
  /** Release the source and end the worker. */
  CLOSE: 3,
} as const;

/** What a {@linkcode CaptureOp.GRAB} got, in `int(1)`. */
export const GrabCode = {
  /**
   * A frame is in the buffer: `int(2)` bytes, captured at `float(1)`, made
   * at quality `int(6)` and `int(7)` x `int(8)`.
   */
  FRAME: 0,
  /** The source has no more frames. */
  END: 1,
  /** The frame needs a larger buffer, of `int(2)` bytes; the next grab delivers it. */
  SPACE: 2,
} as const;

/** The first message to the capture worker. */
export interface CaptureStart {
  /** The channel's shared memory. */
  memory: ChannelMemory;
  /** What to open. */
  options: GrabberOptions;
}

/** The capture worker's answer to {@linkcode CaptureStart}. */
export type CaptureStarted =
  | { op: "opened"; mode: SourceMode }
  | { op: "failed"; failure: WorkerFailure };

/** The decode worker's operations, and where their arguments and results go. */
export const DecodeOp = {
  /**
   * Decode a frame. Arguments: `float(0)` the packet payload's address,
   * `int(0)` its capacity, `int(1)` the JPEG's length, `float(1)` the
   * frame's address. Bytes that do not decode fail the call with a
   * `ShimError`.
   */
  DECODE: 1,
  /** Release the decoder and end the worker. */
  CLOSE: 2,
} as const;
