/**
 * The capture worker: a thread of its own that owns the call's
 * {@linkcode Grabber} and makes its native calls synchronously.
 *
 * It starts with one message, `{ memory, options }`: it opens the source and
 * answers `{ op: "opened", mode }` or `{ op: "failed", failure }`. From then
 * on it serves {@linkcode AtomicChannel} calls (see {@linkcode CaptureOp}):
 * grabbing a frame, at the quality and size the main thread asks for,
 * straight into a packet buffer it lends by address; rewinding; and
 * closing, after which it ends.
 *
 * @module
 */

import { serveAtomic, viewAt } from "../atomic_channel.ts";
import { Grabber, type GrabSetting } from "./grabber.ts";
import { CaptureOp, type CaptureStart, type CaptureStarted, GrabCode } from "../worker_ops.ts";
import { toFailure } from "../worker_failure.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<CaptureStart>) => void) | null;
  postMessage(message: CaptureStarted): void;
  close(): void;
};

scope.onmessage = async (event) => {
  scope.onmessage = null;
  const { memory, options } = event.data;
  let grabber: Grabber;
  try {
    grabber = await Grabber.open(options);
  } catch (error) {
    scope.postMessage({ op: "failed", failure: toFailure(error) });
    return scope.close();
  }
  scope.postMessage({ op: "opened", mode: grabber.mode });
  const want: GrabSetting = { quality: 0, width: 0, height: 0 }; // reused for every grab
  serveAtomic(memory, (op, ints, floats) => {
    switch (op) {
      case CaptureOp.GRAB: {
        want.quality = ints[3]!;
        want.width = ints[4]!;
        want.height = ints[5]!;
        const result = grabber.grab(viewAt(floats[0]!, ints[0]!), want);
        if (result.kind === "frame") {
          ints[1] = GrabCode.FRAME;
          ints[2] = result.length;
          floats[1] = result.timestamp;
          ints[6] = result.quality;
          ints[7] = result.width;
          ints[8] = result.height;
        } else if (result.kind === "space") {
          ints[1] = GrabCode.SPACE;
          ints[2] = result.needed;
        } else {
          ints[1] = GrabCode.END;
        }
        return true;
      }
      case CaptureOp.REWIND:
        grabber.rewind();
        return true;
      default:
        grabber.close();
        return false;
    }
  });
  scope.close();
};
