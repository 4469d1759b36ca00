/**
 * What the main thread and the two frame workers say to each other: the
 * operations each worker serves over its `AtomicChannel`, where
 * their arguments and results go, and the capture worker's first message.
 * (A module of its own, so that the main thread can use these without
 * loading a worker's code.)
 *
 * @module
 */

import type { ChannelMemory } from "./atomic_channel.ts";
import type { GrabberOptions, SourceMode } from "./send/grabber.ts";

/** The capture worker's operations, and where their arguments and results go. */
export const CaptureOp = {
  /**
   * Grab the next frame. Arguments: `float(0)` the buffer's address,
   * `int(0)` its length. Results: `int(1)` 0 frame, 1 end, 2 space; `int(2)`
   * the frame's length or the size needed; `float(1)` the capture time.
   */
  GRAB: 1,
  /** Seek a video file back to its start. */
  REWIND: 2,
  /** Release the source and end the worker. */
  CLOSE: 3,
} as const;

/** The first message to the worker. */
export interface CaptureStart {
  /** The channel's shared memory. */
  memory: ChannelMemory;
  /** What to open. */
  options: GrabberOptions;
}

/** The worker's answer to {@linkcode CaptureStart}. */
export type CaptureStarted =
  | { op: "opened"; mode: SourceMode }
  | { op: "failed"; message: string; name: string };

/** The decode worker's operations, and where their arguments and results go. */
export const DecodeOp = {
  /**
   * Decode a frame. Arguments: `float(0)` the packet payload's address,
   * `int(0)` its capacity, `int(1)` the JPEG's length, `float(1)` the
   * frame's address. Result: `int(2)` 1 when the bytes did not decode (the
   * error text says why).
   */
  DECODE: 1,
  /** Release the decoder and end the worker. */
  CLOSE: 2,
} as const;
