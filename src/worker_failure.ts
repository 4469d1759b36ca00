/**
 * Errors crossing a worker boundary, one way for every worker: the class
 * name and message go across (in a message, or in a channel's shared
 * memory) and become an error of the same class again on the other side.
 *
 * @module
 */

import { CallError } from "./errors.ts";
import { ShimError } from "../ffi/error.ts";

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
