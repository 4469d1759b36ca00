/**
 * {@linkcode FrameRing}: a single-producer, single-consumer ring of JPEG
 * frames in shared memory, between the main thread (which copies frames in
 * and never waits) and the recording worker (which takes them out, waiting
 * when there are none). A frame that does not fit in the free space is
 * refused: the ring's size bounds the memory a slow disk can take. Putting
 * a frame does not wake the consumer (a system call per frame, and on a
 * busy machine a switch to the woken thread, would cost the main thread
 * more than the copy): the consumer looks again after its wait times out.
 * Closing wakes it.
 *
 * Layout: a control block of 32-bit counters, then the bytes, where each
 * frame is a 16-byte header (length, track, time) and its bytes, padded to
 * 8; a frame that would cross the end starts again at 0 behind a wrap mark.
 *
 * @module
 */

const USED = 0; // bytes taken, wrap gaps included (producer adds, consumer subtracts)
const PUT = 1; // frames put so far (wraps around; compared for equality only)
const CLOSED = 2; // 1 once the producer is done
const CONTROL = 4 * 4;
const HEADER = 16;
const WRAP = -1;

/** The shared memory of a ring, to send to the worker. */
export type RingMemory = SharedArrayBuffer;

/** One frame taken out of the ring. */
export interface RingFrame {
  /** Its track. */
  track: number;
  /** Its time, ms since the Unix epoch. */
  at: number;
  /** Its bytes: a view into the ring, valid until {@linkcode FrameRing.release}. */
  bytes: Uint8Array<SharedArrayBuffer>;
}

/** One end of a frame ring. */
export class FrameRing {
  #control: Int32Array<SharedArrayBuffer>;
  #bytes: Uint8Array<SharedArrayBuffer>;
  #view: DataView<SharedArrayBuffer>;
  #capacity: number;
  #at = 0; // this end's position: where the producer writes, or the consumer reads
  #taken = 0; // consumer: frames taken so far
  #pending = 0; // consumer: bytes of the frame taken and not yet released

  /**
   * Makes the shared memory for a ring.
   *
   * @param capacity Bytes for frames (rounded up to 8).
   * @returns The memory, for both ends.
   */
  static memory(capacity: number): RingMemory {
    return new SharedArrayBuffer(CONTROL + Math.ceil(capacity / 8) * 8);
  }

  /** @param memory From {@linkcode FrameRing.memory}; one end per thread. */
  constructor(memory: RingMemory) {
    this.#control = new Int32Array(memory, 0, CONTROL / 4);
    this.#bytes = new Uint8Array(memory, CONTROL);
    this.#view = new DataView(memory, CONTROL);
    this.#capacity = this.#bytes.length;
  }

  /**
   * Producer: copies a frame in, or refuses it when it does not fit. Never waits.
   *
   * @param track Its track.
   * @param jpeg The bytes.
   * @param at Its time, ms since the Unix epoch.
   * @returns Whether the frame was taken.
   */
  put(track: number, jpeg: Uint8Array, at: number): boolean {
    const need = HEADER + Math.ceil(jpeg.length / 8) * 8;
    const gap = this.#at + need > this.#capacity ? this.#capacity - this.#at : 0;
    if (Atomics.load(this.#control, USED) + gap + need > this.#capacity) return false;
    if (gap > 0) {
      this.#view.setInt32(this.#at, WRAP, true);
      this.#at = 0;
    }
    this.#view.setInt32(this.#at, jpeg.length, true);
    this.#view.setInt32(this.#at + 4, track, true);
    this.#view.setFloat64(this.#at + 8, at, true);
    this.#bytes.set(jpeg, this.#at + HEADER);
    this.#at = (this.#at + need) % this.#capacity;
    // The counters are updated last: a consumer that sees them sees the bytes.
    Atomics.add(this.#control, USED, gap + need);
    Atomics.add(this.#control, PUT, 1);
    return true;
  }

  /** Producer: no more frames; wakes the consumer. */
  close(): void {
    Atomics.store(this.#control, CLOSED, 1);
    Atomics.notify(this.#control, PUT);
  }

  /**
   * Consumer: the next frame, waiting up to `timeoutMs` for one (only
   * closing cuts the wait short, not a frame put meanwhile). Release it
   * (with {@linkcode release}) before taking the next.
   *
   * @param timeoutMs How long to wait when the ring is empty.
   * @returns The frame, `"closed"` once the producer closed and every frame
   * was taken, or `"timeout"`.
   */
  take(timeoutMs: number): RingFrame | "closed" | "timeout" {
    this.release();
    const put = Atomics.load(this.#control, PUT);
    if (put === this.#taken) {
      if (Atomics.load(this.#control, CLOSED) === 1) return "closed";
      Atomics.wait(this.#control, PUT, put, timeoutMs);
      if (Atomics.load(this.#control, PUT) === this.#taken) {
        return Atomics.load(this.#control, CLOSED) === 1 ? "closed" : "timeout";
      }
    }
    let length = this.#view.getInt32(this.#at, true);
    if (this.#capacity - this.#at < HEADER || length === WRAP) {
      Atomics.sub(this.#control, USED, this.#capacity - this.#at);
      this.#at = 0;
      length = this.#view.getInt32(0, true);
    }
    this.#taken = (this.#taken + 1) | 0;
    this.#pending = HEADER + Math.ceil(length / 8) * 8;
    return {
      track: this.#view.getInt32(this.#at + 4, true),
      at: this.#view.getFloat64(this.#at + 8, true),
      bytes: this.#bytes.subarray(this.#at + HEADER, this.#at + HEADER + length),
    };
  }

  /** Consumer: gives the space of the frame taken last back to the producer. */
  release(): void {
    if (this.#pending === 0) return;
    this.#at = (this.#at + this.#pending) % this.#capacity;
    Atomics.sub(this.#control, USED, this.#pending);
    this.#pending = 0;
  }
}
