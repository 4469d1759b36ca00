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
 * Layout: `ints[STATE]` is idle, requested or done; `ints[OP]` the operation;
 * `ints[ARG + i]` and `floats[i]` the arguments and results; an error's
 * text goes to `text` with its length in `ints[ERROR_LENGTH]`.
 *
 * @module
 */

import { CallError, messageOf } from "./errors.ts";

const STATE = 0, OP = 1, ERROR_LENGTH = 2, ARG = 3;
const IDLE = 0, REQUESTED = 1, DONE = 2;
const INTS = 16, FLOATS = 8, TEXT = 1024;

/** The shared memory of one channel; send it to the worker once. */
export interface ChannelMemory {
  /** `STATE`, `OP`, `ERROR_LENGTH`, then integer arguments and results. */
  ints: Int32Array<SharedArrayBuffer>;
  /** Floating-point arguments and results (addresses, timestamps). */
  floats: Float64Array<SharedArrayBuffer>;
  /** An error's UTF-8 text. */
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
  #m: ChannelMemory;
  #what: string;
  #busy = false;
  #failure: Error | undefined;
  #resolve: (() => void) | undefined;
  #reject: ((error: Error) => void) | undefined;

  /**
   * Serves calls with `worker`, which must run {@linkcode serveAtomic} on
   * `memory`. Takes over the worker's `onmessage` and `onerror`: a worker
   * that dies fails the call in progress and every later one.
   *
   * @param worker The worker.
   * @param memory The memory the worker serves.
   * @param what What the worker does, for error messages ("capture").
   */
  constructor(worker: Worker, memory: ChannelMemory, what: string) {
    this.#m = memory;
    this.#what = what;
    worker.onmessage = () => {
      if (Atomics.load(memory.ints, STATE) === DONE) this.#resolve?.();
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
   * @returns The worker's error text, or undefined when the operation succeeded.
   * @throws {CallError} When the worker has failed, or a call is already running.
   */
  async call(op: number): Promise<string | undefined> {
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
      ints[ERROR_LENGTH] = 0;
      Atomics.store(ints, STATE, REQUESTED);
      Atomics.notify(ints, STATE);
      await done;
      const length = ints[ERROR_LENGTH]!;
      Atomics.store(ints, STATE, IDLE);
      return length > 0 ? new TextDecoder().decode(this.#m.text.slice(0, length)) : undefined;
    } finally {
      this.#busy = false;
      this.#resolve = this.#reject = undefined;
    }
  }

  /**
   * Fails the call in progress and every later one (the worker died).
   *
   * @param error Why.
   */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#reject?.(error);
  }
}

/** How long {@linkcode closeWorker} lets a worker finish before stopping it. */
export const CLOSE_TIMEOUT_MS = 2000;

/**
 * On the main thread: once `after` settles, calls the worker's closing
 * operation `op` and ends the worker; stops it anyway after
 * {@linkcode CLOSE_TIMEOUT_MS}.
 *
 * @param worker The worker.
 * @param channel Its channel.
 * @param op The operation that releases the worker's resources.
 * @param after The call in progress, if any.
 */
export function closeWorker(
  worker: Worker,
  channel: AtomicChannel,
  op: number,
  after: Promise<unknown> | undefined,
): void {
  const stop = setTimeout(() => worker.terminate(), CLOSE_TIMEOUT_MS);
  Deno.unrefTimer(stop);
  (after ?? Promise.resolve()).catch(() => {})
    .then(() => channel.call(op))
    .catch(() => {})
    .finally(() => {
      clearTimeout(stop);
      worker.terminate();
    });
}

/**
 * Runs in a worker: serves calls until `handle` returns false, blocking the
 * worker's thread between them, and posting an empty message after each
 * (the worker's messages are the channel's). `handle` reads its arguments
 * and writes its results through the same memory; a throw becomes the
 * call's error text.
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
    try {
      serving = handle(ints[OP]!, args, floats);
    } catch (error) {
      const message = messageOf(error);
      const bytes = encoder.encode(message).subarray(0, TEXT);
      text.set(bytes);
      ints[ERROR_LENGTH] = Math.max(1, bytes.length);
    }
    Atomics.store(ints, STATE, DONE);
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
