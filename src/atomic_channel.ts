/**
 * {@linkcode AtomicChannel} and {@linkcode serveAtomic}: one call at a time
 * from the main thread to a worker thread through a small block of shared
 * memory: arguments, results and frame bytes never travel in a message.
 * The worker blocks in `Atomics.wait` between calls; when a call is done it
 * posts an empty message, which only wakes the main thread. (Not
 * `Atomics.waitAsync`: in this V8 every waiting `waitAsync` leaves 35–65
 * bytes in the old generation, freed only by a full collection, so a call's RSS
 * would climb for many minutes; an empty message leaves only short-lived
 * garbage. See docs/PERFORMANCE.md, "Memory".) Frame bytes stay put: the
 * main thread passes the address of a buffer it owns and keeps still until
 * the call returns (see {@linkcode viewAt}).
 *
 * Layout: `ints[STATE]` is idle, requested, done or failed; `ints[OP]` the
 * operation; `ints[ARG + i]` and `floats[i]` the arguments and results. A
 * call that throws leaves its {@linkcode WorkerFailure} in `text`: the
 * error's name (`ints[NAME_LENGTH]` bytes), then its message
 * (`ints[MESSAGE_LENGTH]` bytes); the main thread throws it again with
 * {@linkcode fromFailure}. Only a failed call reads or writes text.
 *
 * @module
 */

import { CLOSE_TIMEOUT_MS } from "./async.ts";
import { CallError } from "./errors.ts";
import { fromFailure, toFailure, type WorkerFailure } from "./worker_failure.ts";

const STATE = 0, OP = 1, NAME_LENGTH = 2, MESSAGE_LENGTH = 3, ARG = 4;
const IDLE = 0, REQUESTED = 1, DONE = 2, FAILED = 3;
const INTS = 16, FLOATS = 8, TEXT = 1024, NAME = 64;

/** The shared memory of one channel; send it to the worker once. */
export interface ChannelMemory {
  /** `STATE`, `OP`, `NAME_LENGTH`, `MESSAGE_LENGTH`, then integer arguments and results. */
  ints: Int32Array<SharedArrayBuffer>;
  /** Floating-point arguments and results (addresses, timestamps). */
  floats: Float64Array<SharedArrayBuffer>;
  /** A failed call's error: its name, then its message, in UTF-8. */
  text: Uint8Array<SharedArrayBuffer>;
}

/** Allocates a channel's shared memory. */
export function channelMemory(): ChannelMemory {
  return {
    ints: new Int32Array(new SharedArrayBuffer(INTS * 4)),
    floats: new Float64Array(new SharedArrayBuffer(FLOATS * 8)),
    text: new Uint8Array(new SharedArrayBuffer(TEXT)),
  };
}

/** The main thread's end: set arguments, `call()`, read results. */
export class AtomicChannel {
  #worker: Worker;
  #m: ChannelMemory;
  #what: string;
  #busy = false;
  #closing = false;
  #failure: Error | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  /**
   * Serves calls with `worker`, which must run {@linkcode serveAtomic} on
   * `memory`. Takes over the worker's `onmessage` and `onerror`: a worker
   * that dies fails the call in progress and every later one.
   *
   * @param worker The worker, ended by {@linkcode close}.
   * @param memory The memory the worker serves.
   * @param what What the worker does, for error messages ("capture").
   */
  constructor(worker: Worker, memory: ChannelMemory, what: string) {
    this.#worker = worker;
    this.#m = memory;
    this.#what = what;
    worker.onmessage = () => {
      if (Atomics.load(memory.ints, STATE) >= DONE) this.#resolve?.();
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.fail(new CallError(`The ${what} worker failed: ${event.message}`));
    };
  }

  /** Integer argument `i` (set before `call()`), or result `i` (after). */
  int(i: number, value?: number): number {
    if (value !== undefined) this.#m.ints[ARG + i] = value;
    return this.#m.ints[ARG + i]!;
  }

  /** Floating-point argument or result `i`, as {@linkcode int}. */
  float(i: number, value?: number): number {
    if (value !== undefined) this.#m.floats[i] = value;
    return this.#m.floats[i]!;
  }

  /**
   * Runs operation `op` in the worker with the arguments set.
   *
   * @param op The operation.
   * @throws {Error} What the operation threw in the worker, of the same
   * class where {@linkcode fromFailure} knows it (`CallError`, `ShimError`).
   * @throws {CallError} When the worker has failed or is closed, or a call
   * is already running.
   */
  async call(op: number): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#busy) throw new CallError(`The ${this.#what} worker is busy`);
    this.#busy = true;
    const ints = this.#m.ints;
    try {
      const done = new Promise<void>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
      });
      ints[OP] = op;
      Atomics.store(ints, STATE, REQUESTED);
      Atomics.notify(ints, STATE);
      await done;
      const failed = Atomics.load(ints, STATE) === FAILED;
      Atomics.store(ints, STATE, IDLE);
      if (failed) throw fromFailure(this.#readFailure());
    } finally {
      this.#busy = false;
      this.#resolve = this.#reject = undefined;
    }
  }

  /**
   * Fails the call in progress and every later one (the worker died, or was closed).
   *
   * @param error Why.
   */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#reject?.(error);
  }

  /**
   * Ends the worker: once `after` settles, runs the worker's closing
   * operation `op`, then terminates the worker; terminates it anyway after
   * {@linkcode CLOSE_TIMEOUT_MS}. Later calls fail. A second close does
   * nothing.
   *
   * @param op The operation that releases the worker's resources.
   * @param after The call in progress, if any.
   */
  close(op: number, after?: Promise<unknown>): void {
    if (this.#closing) return;
    this.#closing = true;
    const end = (): void => {
      clearTimeout(stop);
      this.#worker.terminate();
      this.fail(new CallError(`The ${this.#what} worker is closed`));
    };
    const stop = setTimeout(end, CLOSE_TIMEOUT_MS);
    Deno.unrefTimer(stop);
    (after ?? Promise.resolve()).catch(() => {})
      .then(() => this.call(op))
      .catch(() => {})
      .finally(end);
  }

  #readFailure(): WorkerFailure {
    const { ints, text } = this.#m;
    const decoder = new TextDecoder();
    const name = ints[NAME_LENGTH]!;
    // slice(): TextDecoder does not read shared memory.
    return {
      name: decoder.decode(text.slice(0, name)),
      message: decoder.decode(text.slice(name, name + ints[MESSAGE_LENGTH]!)),
    };
  }
}

/**
 * Runs in a worker: serves calls until `handle` returns false, blocking the
 * worker's thread between them, and posting an empty message after each
 * (the worker's messages are the channel's). `handle` reads its arguments
 * and writes its results through the same memory; what it throws fails the
 * call, as a {@linkcode WorkerFailure}.
 *
 * @param memory The channel's memory.
 * @param handle Runs operation `op`; returns false to stop serving.
 */
export function serveAtomic(
  memory: ChannelMemory,
  handle: (op: number, ints: Int32Array, floats: Float64Array) => boolean,
): void {
  const scope = globalThis as unknown as { postMessage(message: null): void };
  const { ints, floats, text } = memory;
  const args = ints.subarray(ARG);
  const encoder = new TextEncoder();
  let serving = true;
  while (serving) {
    for (let state; (state = Atomics.load(ints, STATE)) !== REQUESTED;) {
      Atomics.wait(ints, STATE, state);
    }
    let outcome = DONE;
    try {
      serving = handle(ints[OP]!, args, floats);
    } catch (error) {
      // encodeInto() cuts a long text at a character boundary.
      const { name, message } = toFailure(error);
      const named = encoder.encodeInto(name, text.subarray(0, NAME)).written;
      ints[NAME_LENGTH] = named;
      ints[MESSAGE_LENGTH] = encoder.encodeInto(message, text.subarray(named)).written;
      outcome = FAILED;
    }
    Atomics.store(ints, STATE, outcome);
    scope.postMessage(null);
  }
}

const views = new Map<string, Uint8Array<ArrayBuffer>>();

/**
 * In a worker: a view of `length` bytes at `address` in memory the main
 * thread owns and keeps alive while the call lasts. Views are cached by
 * address and length (buffers are few and rarely change).
 *
 * @param address The memory's address.
 * @param length Its length.
 * @returns The view.
 */
export function viewAt(address: number, length: number): Uint8Array<ArrayBuffer> {
  const key = `${address}:${length}`;
  let view = views.get(key);
  if (!view) {
    const ptr = Deno.UnsafePointer.create(BigInt(address));
    if (ptr === null) throw new Error("Cannot use a null buffer");
    if (views.size >= 16) views.delete(views.keys().next().value!);
    view = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptr, length));
    views.set(key, view);
  }
  return view;
}

/**
 * On the main thread: the address of `bytes`, to pass with {@linkcode viewAt}.
 *
 * @param bytes A view of an ArrayBuffer that stays in place while lent.
 * @returns Its address.
 */
export function addressOf(bytes: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
}
