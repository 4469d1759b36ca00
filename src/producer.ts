/**
 * {@linkcode Producer}: the sending side's capture task. The source and the
 * JPEG encoder live in a worker thread of their own (`src/capture_worker.ts`,
 * which makes the native calls synchronously); this side decides when a frame
 * is wanted and puts the finished JPEG packets in the sender's
 * {@linkcode Latest} slot.
 *
 * One dedicated thread doing the frame work, rather than each native call
 * handed to one of Deno's pool threads and back, is what lets a sender keep
 * a core busy: see docs/PERFORMANCE.md.
 *
 * @module
 */

import type { Options } from "./cli.ts";
import type { CaptureReply, CaptureRequest } from "./capture_worker.ts";
import { delay } from "./connect.ts";
import { CallError } from "./errors.ts";
import type { SourceMode } from "./grabber.ts";
import type { Latest } from "./latest.ts";
import type { Packet } from "./packet.ts";
import { describeSource, type Source } from "./source.ts";
import { WorkerChannel } from "./worker_channel.ts";

export type { SourceMode } from "./grabber.ts";

/** How long a captured frame may wait for the sender before a fresher one replaces it. */
export const MIN_STALE_MS = 20;

/** Captures and encodes frames, in a worker thread, until stopped. */
export class Producer implements Disposable {
  #o: Options;
  #source: Exclude<Source, { kind: "none" }>;
  #worker: WorkerChannel<CaptureRequest, CaptureReply>;
  /** How this source's frames become JPEG. */
  readonly mode: SourceMode;

  private constructor(
    options: Options,
    worker: WorkerChannel<CaptureRequest, CaptureReply>,
    mode: SourceMode,
  ) {
    this.#o = options;
    this.#source = options.source as Exclude<Source, { kind: "none" }>;
    this.#worker = worker;
    this.mode = mode;
  }

  /**
   * Opens the source named by `--source`, in a new capture worker.
   *
   * @param options The call's options (source, size, rate, quality).
   * @returns The producer, or undefined for `--source none`.
   * @throws {CallError} When the source cannot be opened, saying how to fix it.
   */
  static async open(options: Options): Promise<Producer | undefined> {
    const source = options.source;
    if (source.kind === "none") return undefined;
    const worker = new WorkerChannel<CaptureRequest, CaptureReply>(
      new URL("./capture_worker.ts", import.meta.url),
      "capture",
    );
    const reply = await worker.request({
      op: "open",
      options: {
        source,
        width: options.width,
        height: options.height,
        fps: options.fps,
        quality: options.quality,
        passthrough: options.passthrough,
      },
    }).catch((error) => {
      worker.close({ op: "close" });
      throw error;
    });
    if (reply.op !== "opened") {
      worker.close({ op: "close" });
      throw worker.unexpected(reply);
    }
    return new Producer(options, worker, reply.mode);
  }

  /**
   * Captures frames into `box` until `signal` aborts or the source ends:
   * paced to `--fps`, on demand for files and the test pattern, looping a
   * video file.
   *
   * @param box The sender's slot; replaced frames are counted there.
   * @param signal Stops the loop.
   * @param onEnd Called when a live source ends (the call goes on).
   * @throws {CallError} When the source fails or a frame cannot be encoded.
   */
  async run(box: Latest<Packet>, signal: AbortSignal, onEnd: () => void): Promise<void> {
    const o = this.#o;
    const interval = o.fps > 0 ? 1000 / o.fps : 0;
    let next = performance.now();
    let emptyRuns = 0;
    // A file or the test pattern can wait until the sender wants a frame (a
    // live source is read continuously); but a frame left waiting behind a
    // slow link is replaced after a frame interval, so none goes out stale.
    const onDemand = this.#source.kind === "file" || this.#source.kind === "test";
    const staleAfter = Math.max(interval, MIN_STALE_MS);
    while (!signal.aborted) {
      if (onDemand) await box.idle(staleAfter);
      if (interval > 0) {
        const wait = next - performance.now();
        if (wait > 0) await delay(wait, signal);
        // Pace from the schedule, but never try to catch up a backlog.
        next = Math.max(next + interval, performance.now() - interval);
        if (signal.aborted) return;
      }
      const packet = box.acquire();
      let got: "frame" | "end";
      try {
        got = await this.#grab(packet);
      } catch (error) {
        box.release(packet);
        throw error;
      }
      if (got === "end") {
        box.release(packet);
        if (this.#source.kind === "file" && emptyRuns++ === 0) {
          const reply = await this.#worker.request({ op: "rewind" }); // loop a video file
          if (reply.op !== "rewound") throw this.#worker.unexpected(reply);
          continue;
        }
        if (emptyRuns > 1) throw new CallError(`${describeSource(this.#source)} has no frames`);
        onEnd();
        return;
      }
      emptyRuns = 0;
      box.publish(packet);
    }
  }

  /**
   * Releases the source and the encoder: the worker finishes the frame in
   * hand, closes them and ends.
   */
  close(): void {
    this.#worker.close({ op: "close" });
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // Has the worker fill `packet` with the next frame as JPEG. The packet's
  // buffer goes to the worker and comes back, possibly grown.
  async #grab(packet: Packet): Promise<"frame" | "end"> {
    const buffer = packet.data.buffer;
    const reply = await this.#worker.request({ op: "grab", buffer }, [buffer]);
    if ((reply.op === "failed" || reply.op === "grabbed") && reply.buffer) {
      packet.adopt(reply.buffer);
    }
    if (reply.op !== "grabbed") throw this.#worker.unexpected(reply);
    packet.length = reply.length;
    packet.timestamp = reply.timestamp;
    return reply.got;
  }
}
