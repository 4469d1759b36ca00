/**
 * The decode worker: a thread of its own that owns the call's JPEG decoder
 * and decodes each received frame synchronously, into the frame the main
 * thread lends it ({@linkcode Decoder} on the main thread). The packet's
 * buffer moves to the worker and back (transferred, never copied).
 *
 * - `decode` with a buffer and a frame's address → `decoded`: the buffer
 *   back, with `error` set when the bytes do not decode;
 * - `close` → `closed`, and the worker ends.
 *
 * @module
 */

import { Frame, JpegDecoder, ShimError } from "../ffi/mod.ts";
import { Packet } from "./packet.ts";
import { endWorker, reply, serve } from "./worker_channel.ts";

/** A request from the main thread. */
export type DecodeRequest =
  | { op: "decode"; buffer: ArrayBuffer; length: number; frame: bigint }
  | { op: "close" };

/** The worker's reply to a {@linkcode DecodeRequest}. */
export type DecodeReply =
  | { op: "decoded"; buffer: ArrayBuffer; error?: string }
  | { op: "closed" };

let decoder: JpegDecoder | undefined; // made on first use: a failure is then a reply
const packet = new Packet(0);
let target: { address: bigint; frame: Frame } | undefined;

// The lent frame at `address` (the main thread keeps the same one).
function frameAt(address: bigint): Frame {
  if (target?.address !== address) {
    const ptr = Deno.UnsafePointer.create(address);
    if (ptr === null) throw new Error("Cannot decode: no frame to decode into");
    target = { address, frame: new Frame(ptr) };
  }
  return target.frame;
}

serve<DecodeRequest>((request) => {
  switch (request.op) {
    case "decode": {
      packet.adopt(request.buffer);
      let error: string | undefined;
      try {
        decoder ??= new JpegDecoder();
        decoder.decodeSync(packet.payload, frameAt(request.frame), request.length);
      } catch (e) {
        if (!(e instanceof ShimError)) throw e;
        error = e.message;
      }
      const { buffer } = request;
      return reply<DecodeReply>({ op: "decoded", buffer, ...(error ? { error } : {}) }, [buffer]);
    }
    case "close":
      decoder?.close();
      reply<DecodeReply>({ op: "closed" });
      endWorker();
  }
}, (request) => request.op === "decode" ? request.buffer : undefined);
