/**
 * The capture worker: a thread of its own that owns the call's
 * {@linkcode Grabber} and makes its native calls synchronously, one frame
 * per request from {@linkcode Producer} on the main thread. Frame buffers
 * move between the threads (transferred, never copied).
 *
 * - `open` → `opened` (the source's mode);
 * - `grab` with a buffer → `grabbed`: the buffer back (possibly a larger
 *   one) holding a frame, or `"end"` of the source;
 * - `rewind` → `rewound`;
 * - `close` → `closed`, and the worker ends.
 *
 * Any of them may instead get `failed` (see {@linkcode serve}).
 *
 * @module
 */

import { Grabber, type GrabberOptions, type SourceMode } from "./grabber.ts";
import { Packet } from "./packet.ts";
import { endWorker, reply, serve } from "./worker_channel.ts";

/** A request from the main thread. */
export type CaptureRequest =
  | { op: "open"; options: GrabberOptions }
  | { op: "grab"; buffer: ArrayBuffer }
  | { op: "rewind" }
  | { op: "close" };

/** The worker's reply to a {@linkcode CaptureRequest}. */
export type CaptureReply =
  | { op: "opened"; mode: SourceMode }
  | {
    op: "grabbed";
    got: "frame" | "end";
    buffer: ArrayBuffer;
    length: number;
    timestamp: number;
  }
  | { op: "rewound" }
  | { op: "closed" };

let grabber: Grabber | undefined;
const packet = new Packet(0);

function opened(): Grabber {
  if (!grabber) throw new Error("The capture source is not open");
  return grabber;
}

serve<CaptureRequest>(async (request) => {
  switch (request.op) {
    case "open":
      grabber = await Grabber.open(request.options);
      return reply<CaptureReply>({ op: "opened", mode: grabber.mode });
    case "grab": {
      packet.adopt(request.buffer);
      const got = opened().grab(packet);
      const { buffer } = packet.data;
      const grabbed: CaptureReply = {
        op: "grabbed",
        got,
        buffer,
        length: packet.length,
        timestamp: packet.timestamp,
      };
      return reply(grabbed, [buffer]);
    }
    case "rewind":
      await opened().rewind();
      return reply<CaptureReply>({ op: "rewound" });
    case "close":
      grabber?.close();
      grabber = undefined;
      reply<CaptureReply>({ op: "closed" });
      endWorker();
  }
}, (request) => request.op === "grab" ? packet.data.buffer : undefined);
