/**
 * The capture worker: a thread of its own that owns the call's
 * {@linkcode Grabber} and makes its native calls synchronously.
 *
 * It starts with one message, `{ memory, options }`: it opens the source and
 * answers `{ op: "opened", mode }` or `{ op: "failed", failure }`. From then
 * on it serves {@linkcode AtomicChannel} calls (see {@linkcode CaptureOp}):
 * grabbing a frame straight into a packet buffer the main thread lends by
 * address, rewinding, and closing, after which it ends.
 *
 * @module
 */

import { serveAtomic, viewAt } from "../atomic_channel.ts";
import { Grabber } from "./grabber.ts";
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
  serveAtomic(memory, (op, ints, floats) => {
    switch (op) {
      case CaptureOp.GRAB: {
        const result = grabber.grab(viewAt(floats[0]!, ints[0]!));
        if (result.kind === "frame") {
          ints[1] = GrabCode.FRAME;
          ints[2] = result.length;
          floats[1] = result.timestamp;
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
