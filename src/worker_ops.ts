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

import { ShimError } from "../ffi/error.ts";
import type { ChannelMemory } from "./atomic_channel.ts";
import { CallError } from "./errors.ts";
import type { GrabberOptions, SourceMode } from "./send/grabber.ts";

/** The capture worker's operations, and where their arguments and results go. */
export const CaptureOp = {
  /**
   * Grab the next frame. Arguments: `float(0)` the buffer's address,
   * `int(0)` its length. Results: `int(1)` a {@linkcode GrabCode}; `int(2)`
   * the frame's length, or the size needed; `float(1)` the capture time.
   */
  GRAB: 1,
  /** Seek a video file back to its start. */
  REWIND: 2,
  /** Release the source and end the worker. */
  CLOSE: 3,
} as const;

/** What a {@linkcode CaptureOp.GRAB} got, in `int(1)`. */
export const GrabCode = {
  /** A frame is in the buffer: `int(2)` bytes, captured at `float(1)`. */
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
   * {@linkcode ShimError}.
   */
  DECODE: 1,
  /** Release the decoder and end the worker. */
  CLOSE: 2,
} as const;

/**
 * An error on its way out of a worker: the name of its class and its
 * message, which is all that crosses (in a message, or in a channel's
 * shared memory). Made by {@linkcode toFailure}, turned back into an error
 * by {@linkcode fromFailure}.
 */
export interface WorkerFailure {
  /** The error's `name`: `CallError`, `ShimError`, `TypeError`, ... */
  name: string;
  /** The error's message. */
  message: string;
}

/**
 * In a worker: what of `error` crosses to the main thread.
 *
 * @param error Anything thrown.
 * @returns Its class name and message.
 */
export function toFailure(error: unknown): WorkerFailure {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "Error", message: String(error) };
}

// The classes a failure becomes again; the main thread acts on these.
const CLASSES: Readonly<Record<string, new (message: string) => Error>> = {
  CallError,
  ShimError,
  TypeError,
  RangeError,
};

/**
 * On the main thread: the error a worker threw, as an instance of the same
 * class when it is one the main thread acts on ({@linkcode CallError},
 * {@linkcode ShimError}, `TypeError`, `RangeError`), else an `Error` with
 * the same name.
 *
 * @example
 * ```ts
 * const error = fromFailure(toFailure(new CallError("Cannot open camera 0: device busy")));
 * error instanceof CallError; // true
 * ```
 *
 * @param failure What {@linkcode toFailure} made of the error in the worker.
 * @returns The error to throw.
 */
export function fromFailure(failure: WorkerFailure): Error {
  const Class = Object.hasOwn(CLASSES, failure.name) ? CLASSES[failure.name] : undefined;
  if (Class) return new Class(failure.message);
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}
