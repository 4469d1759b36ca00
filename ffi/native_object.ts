/**
 * The base of every wrapper around a native shim handle: explicit
 * `close()`, `using` support, no call while the handle is lent to another
 * thread, and a finalizer as a safety net for handles that were never
 * closed.
 *
 * @module
 */

import { ShimError } from "./error.ts";
import { Status } from "./symbols.ts";

type Free = (ptr: Deno.PointerObject) => void;

const finalizer = new FinalizationRegistry<{ ptr: Deno.PointerObject; free: Free }>(
  ({ ptr, free }) => free(ptr),
);

/** A native handle owned by one JavaScript object. */
export abstract class NativeObject implements Disposable {
  #ptr: Deno.PointerObject | null;
  #free: Free;
  #inFlight: Promise<unknown> | undefined;
  #kind: string;
  #pending: Deno.PointerObject | null = null;

  /**
   * Takes ownership of `ptr`.
   *
   * @param ptr The handle; NULL means the native constructor failed.
   * @param free The shim function that releases it.
   * @param kind A name for messages, e.g. `capture`.
   * @throws {ShimError} When `ptr` is NULL.
   */
  protected constructor(ptr: Deno.PointerValue, free: Free, kind: string) {
    if (ptr === null) throw new ShimError(`Cannot create ${kind}: out of memory`);
    this.#ptr = ptr;
    this.#free = free;
    this.#kind = kind;
    finalizer.register(this, { ptr, free }, this);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#ptr === null;
  }

  /**
   * The raw handle, for passing to other shim calls.
   *
   * @throws {ShimError} When the object is closed.
   */
  get handle(): Deno.PointerObject {
    if (this.#ptr === null) {
      throw new ShimError(`Cannot use ${this.#kind}: it is closed`, Status.ERR_ARG);
    }
    return this.#ptr;
  }

  /**
   * Lends the live handle to an asynchronous user, such as a worker thread
   * its address is sent to, until the returned promise settles. Meanwhile
   * another lend or a call of its own is refused and `close()` defers the
   * free until the promise settles.
   *
   * @param use Starts using the handle; settles when done with it.
   * @returns What `use` resolves to.
   * @throws {ShimError} When the object is closed or a call is in flight.
   */
  lend<T>(use: (ptr: Deno.PointerObject) => Promise<T>): Promise<T> {
    return this.exclusive(use);
  }

  /**
   * Runs one synchronous native call, refusing it while the handle is lent.
   *
   * @param call Makes the native call with the live handle.
   * @returns The call's result.
   */
  protected exclusiveSync<T>(call: (ptr: Deno.PointerObject) => T): T {
    const ptr = this.handle; // a closed handle says so first
    if (this.#inFlight) {
      throw new ShimError(`Cannot use ${this.#kind}: a call is already in flight`, Status.ERR_ARG);
    }
    return call(ptr);
  }

  /**
   * Runs one asynchronous use of the handle, refusing a second concurrent
   * one (the shim allows one call in flight per handle).
   *
   * @param call Starts the native call with the live handle.
   * @returns The call's result.
   */
  protected async exclusive<T>(call: (ptr: Deno.PointerObject) => Promise<T>): Promise<T> {
    const ptr = this.handle; // a closed handle says so first
    if (this.#inFlight) {
      throw new ShimError(`Cannot use ${this.#kind}: a call is already in flight`, Status.ERR_ARG);
    }
    const promise = call(ptr);
    this.#inFlight = promise;
    try {
      return await promise;
    } finally {
      this.#inFlight = undefined;
      if (this.#ptr === null) this.#release();
    }
  }

  /**
   * Releases the native handle. A second call does nothing; a call made
   * while the handle is lent releases it when the lend settles.
   */
  close(): void {
    if (this.#ptr === null) return;
    finalizer.unregister(this);
    if (this.#inFlight) {
      this.#pending = this.#ptr;
      this.#ptr = null;
      return;
    }
    this.#free(this.#ptr);
    this.#ptr = null;
  }

  #release(): void {
    if (this.#pending !== null) this.#free(this.#pending);
    this.#pending = null;
  }

  /** Calls `close()`; lets `using` manage the object. */
  [Symbol.dispose](): void {
    this.close();
  }
}
