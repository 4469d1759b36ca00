/**
 * {@linkcode Decoder}: decodes received frames in the decode worker
 * (`src/decode_worker.ts`), a thread of its own, so the main thread stays
 * free for the network and the window while a frame decodes.
 *
 * @module
 */

import { type Frame, ShimError } from "../ffi/mod.ts";
import { CallError } from "./errors.ts";
import type { DecodeReply, DecodeRequest } from "./decode_worker.ts";
import type { Packet } from "./packet.ts";
import { type Failed, WorkerChannel } from "./worker_channel.ts";

/** JPEG packets to frames, one at a time, on the decode worker's thread. */
export class Decoder implements Disposable {
  // Started on the first frame: a call that receives no video needs no worker.
  #started: WorkerChannel<DecodeRequest, DecodeReply> | undefined;
  #closed = false;

  get #worker(): WorkerChannel<DecodeRequest, DecodeReply> {
    this.#started ??= new WorkerChannel<DecodeRequest, DecodeReply>(
      new URL("./decode_worker.ts", import.meta.url),
      "decode",
    );
    return this.#started;
  }

  /**
   * Decodes `packet`'s JPEG bytes into `frame`. The packet's buffer is away
   * in the worker until this settles; the frame is lent to it likewise.
   *
   * @param packet The received frame.
   * @param frame Where the pixels go (its buffer is reused).
   * @throws {ShimError} When the bytes are not a decodable JPEG image.
   * @throws {CallError} When the decode worker has failed or is closed.
   */
  async decode(packet: Packet, frame: Frame): Promise<void> {
    if (this.#closed) throw new CallError("The decode worker is closed");
    const buffer = packet.data.buffer;
    const size = buffer.byteLength;
    let reply: DecodeReply | Failed;
    try {
      reply = await frame.lend((ptr) =>
        this.#worker.request(
          {
            op: "decode",
            buffer,
            length: packet.length,
            frame: BigInt(Deno.UnsafePointer.value(ptr)),
          },
          [buffer],
        )
      );
    } catch (error) {
      if (buffer.detached) packet.adopt(new ArrayBuffer(size)); // it is not coming back
      throw error;
    }
    if ((reply.op === "decoded" || reply.op === "failed") && reply.buffer) {
      packet.adopt(reply.buffer);
    }
    if (reply.op !== "decoded") throw this.#worker.unexpected(reply);
    if (reply.error !== undefined) throw new ShimError(reply.error);
  }

  /** Ends the worker once a decode in flight is done. */
  close(): void {
    this.#closed = true;
    this.#started?.close({ op: "close" });
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
