/**
 * {@linkcode Decoder}: decodes received frames in the decode worker
 * (`src/receive/decode_worker.ts`), a thread of its own, so the main thread stays
 * free for the network and the window while a frame decodes. The packet's
 * bytes and the frame are lent to the worker by address for each call
 * ({@linkcode AtomicChannel}); nothing is copied or transferred.
 *
 * @module
 */

import type { Frame } from "../../ffi/mod.ts";
import { addressOf, AtomicChannel, channelMemory } from "../atomic_channel.ts";
import { CallError } from "../errors.ts";
import type { Packet } from "../packet.ts";
import { DecodeOp } from "../worker_ops.ts";

/** JPEG packets to frames, one at a time, on the decode worker's thread. */
export class Decoder implements Disposable {
  // Started on the first frame: a call that receives no video needs no worker.
  #channel: AtomicChannel | undefined;
  #busy: Promise<unknown> | undefined;
  #closed = false;

  /**
   * Decodes `packet`'s JPEG bytes into `frame`. Neither may change until
   * this settles: the worker reads and writes them in place.
   *
   * @param packet The received frame.
   * @param frame Where the pixels go (its buffer is reused).
   * @throws {ShimError} When the bytes are not a decodable JPEG image.
   * @throws {CallError} When the decode worker has failed or is closed.
   */
  decode(packet: Packet, frame: Frame): Promise<void> {
    if (this.#closed) return Promise.reject(new CallError("The decode worker is closed"));
    const channel = this.#channel ??= start();
    const promise = frame.lend((ptr) => {
      channel.float(0, addressOf(packet.payload));
      channel.int(0, packet.payload.length);
      channel.int(1, packet.length);
      channel.float(1, Number(Deno.UnsafePointer.value(ptr)));
      return channel.call(DecodeOp.DECODE);
    });
    this.#busy = promise;
    return promise;
  }

  /**
   * Ends the worker once a decode in flight is done (that decode still
   * completes); later decodes fail.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel?.close(DecodeOp.CLOSE, this.#busy);
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

// Starts the decode worker; the channel ends it.
function start(): AtomicChannel {
  const worker = new Worker(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
  const memory = channelMemory();
  const channel = new AtomicChannel(worker, memory, "decode");
  worker.postMessage(memory);
  return channel;
}
