/**
 * The decode worker: a thread of its own that owns the call's JPEG decoder
 * and decodes each received frame synchronously, reading the packet's bytes
 * where the main thread keeps them and writing into the frame it lends
 * ({@linkcode Decoder} on the main thread). It starts with one message, the
 * channel's memory, then serves {@linkcode AtomicChannel} calls (see
 * {@linkcode DecodeOp}) until closed.
 *
 * @module
 */

import { Frame, JpegDecoder } from "../../ffi/mod.ts";
import { type ChannelMemory, serveAtomic, viewAt } from "../atomic_channel.ts";
import { DecodeOp } from "../worker_ops.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ChannelMemory>) => void) | null;
  close(): void;
};

let target: { address: number; frame: Frame } | undefined;

// The lent frame at `address` (the main thread keeps lending the same one).
function frameAt(address: number): Frame {
  if (target?.address !== address) {
    const ptr = Deno.UnsafePointer.create(BigInt(address));
    if (ptr === null) throw new Error("Cannot decode: no frame to decode into");
    target = { address, frame: new Frame(ptr) };
  }
  return target.frame;
}

scope.onmessage = (event) => {
  scope.onmessage = null;
  let decoder: JpegDecoder | undefined;
  serveAtomic(event.data, (op, ints, floats) => {
    if (op !== DecodeOp.DECODE) {
      decoder?.close();
      return false;
    }
    decoder ??= new JpegDecoder();
    decoder.decodeSync(viewAt(floats[0]!, ints[0]!), frameAt(floats[1]!), ints[1]!);
    return true;
  });
  scope.close();
};
