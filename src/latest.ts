/**
 * {@linkcode Latest}: a one-slot mailbox where the freshest item wins, over
 * a fixed set of reusable buffers.
 *
 * @module
 */

/**
 * Hands items from one producer to one consumer, keeping only the newest:
 * publishing over an item nobody took drops the older one (counted in
 * {@linkcode dropped}) and recycles its buffer. With three buffers the
 * producer always has one to fill, one waits in the slot, and the consumer
 * holds the third, so neither side ever waits for memory and nothing queues.
 *
 * @example
 * ```ts
 * const box = new Latest([{ n: 0 }, { n: 0 }, { n: 0 }]);
 * const item = box.acquire();
 * item.n = 42;
 * box.publish(item);
 * const got = await box.take(); // { n: 42 }
 * box.release(got!);
 * ```
 */
export class Latest<T> {
  #free: T[];
  #slot: T | undefined;
  #waiter: ((item: T | undefined) => void) | undefined;
  #closed = false;
  #idle: Array<() => void> = [];
  /** Items replaced before the consumer took them. */
  dropped = 0;

  /**
   * @param buffers The items to circulate; three suit one producer and one consumer.
   */
  constructor(buffers: T[]) {
    this.#free = [...buffers];
  }

  /**
   * Takes a free buffer for the producer to fill.
   *
   * @returns A buffer.
   * @throws {Error} When none is free (a producer or consumer kept too many).
   */
  acquire(): T {
    const item = this.#free.pop();
    if (item === undefined) throw new Error("Cannot acquire buffer: all are in use");
    return item;
  }

  /**
   * Makes `item` the newest; an item still in the slot is dropped.
   *
   * @param item A buffer from {@linkcode acquire}, now filled.
   */
  publish(item: T): void {
    if (this.#closed) {
      this.#free.push(item);
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(item);
      return;
    }
    if (this.#slot !== undefined) {
      this.#free.push(this.#slot);
      this.dropped++;
    }
    this.#slot = item;
  }

  /**
   * Returns a buffer to the free set (after consuming it, or unfilled).
   *
   * @param item A buffer from {@linkcode acquire} or {@linkcode take}.
   */
  release(item: T): void {
    this.#free.push(item);
  }

  /**
   * Waits for the newest item.
   *
   * @returns The item (release it when done), or undefined once closed.
   */
  take(): Promise<T | undefined> {
    if (this.#slot !== undefined) {
      const item = this.#slot;
      this.#slot = undefined;
      this.#wakeIdle();
      return Promise.resolve(item);
    }
    if (this.#closed) return Promise.resolve(undefined);
    if (this.#waiter) return Promise.reject(new Error("Cannot take: already waiting"));
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /**
   * Waits until the slot is empty: the consumer has taken the last item (or
   * the mailbox closed). Lets a producer make items on demand.
   *
   * @param maxWaitMs Resolve anyway after this long, so the producer can
   * replace an item that waited too long.
   */
  idle(maxWaitMs = Infinity): Promise<void> {
    if (this.#slot === undefined || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(maxWaitMs) ? setTimeout(done, maxWaitMs) : undefined;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#idle.push(done);
    });
  }

  #wakeIdle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }

  /** Wakes a waiting consumer with undefined; later publishes are discarded. */
  close(): void {
    this.#closed = true;
    if (this.#slot !== undefined) this.#free.push(this.#slot);
    this.#slot = undefined;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(undefined);
    this.#wakeIdle();
  }
}
