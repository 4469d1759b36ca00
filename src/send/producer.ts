/**
 * {@linkcode Producer}: the sending side's capture task. The source and the
 * JPEG encoder live in a worker thread of their own (`src/send/capture_worker.ts`,
 * which makes the native calls synchronously); this side decides when a frame
 * is wanted and puts the finished JPEG packets in the sender's
 * {@linkcode Latest} slot. The worker writes each frame straight into the
 * packet's buffer, lent by address for the call ({@linkcode AtomicChannel}).
 *
 * One dedicated thread doing the frame work, rather than each native call
 * handed to one of Deno's pool threads and back, is what lets a sender keep
 * a core busy: see docs/PERFORMANCE.md.
 *
 * @module
 */

import { addressOf, AtomicChannel, channelMemory } from "../atomic_channel.ts";
import type { Options } from "../cli.ts";
import { delay } from "../async.ts";
import { CallError } from "../errors.ts";
import type { FrameSetting } from "./frame_setting.ts";
import type { SourceMode } from "./grabber.ts";
import type { Latest } from "../latest.ts";
import type { Packet } from "../packet.ts";
import { MAX_FRAME_PAYLOAD } from "../net/protocol.ts";
import { describeSource, type Source } from "../source.ts";
import { CaptureOp, type CaptureStart, type CaptureStarted, GrabCode } from "../worker_ops.ts";
import { fromFailure } from "../worker_failure.ts";

export type { SourceMode } from "./grabber.ts";

/** How long a captured frame may wait for the sender before a fresher one replaces it. */
export const MIN_STALE_MS = 20;

/** The share of the phase error {@linkcode Producer} corrects at each frame. */
export const PHASE_GAIN = 0.1;

/**
 * How far to move a paced capture schedule so that its captures fall half an
 * interval away from the peer's: the signed distance, in
 * (-interval/2, interval/2], from `next` to the nearest instant half an
 * interval after a peer capture, times {@linkcode PHASE_GAIN}.
 *
 * @param next This side's next capture time.
 * @param peerCapture A recent peer capture, on the same clock.
 * @param interval The frame interval (both sides' captures repeat at it).
 * @returns What to subtract from `next`.
 */
export function phaseCorrection(next: number, peerCapture: number, interval: number): number {
  const target = peerCapture + interval / 2;
  let error = ((next - target) % interval + interval) % interval;
  if (error > interval / 2) error -= interval;
  return error * PHASE_GAIN;
}

/** What the producer needs from the command line. */
export type ProducerOptions = Pick<
  Options,
  "source" | "width" | "height" | "fps" | "quality" | "passthrough" | "name"
>;

/** What {@linkcode Producer.run} tells its caller, and asks it. */
export interface ProducerHooks {
  /** A live source ended (the call goes on, receiving only). */
  onEnd(): void;
  /** A frame is about to be published (read it now; it is not kept). */
  onFrame?(packet: Packet): void;
  /**
   * How to make the next frame, asked once before each capture (after
   * waiting for the sender to want one, before the wait for its time):
   * its `fps` paces the captures from then on (0: unpaced), its quality and
   * size make the frame (clamped by the capture worker to what it can make:
   * each side 16 to `--size`, quality 1 to 100). Without it the producer
   * follows `--fps`, `--quality` and `--size`. Called on every frame: keep
   * it cheap, and return an object the caller reuses.
   */
  setting?(): FrameSetting;
}

/** Captures and encodes frames, in a worker thread, until stopped. */
export class Producer implements Disposable {
  #o: ProducerOptions;
  #source: Exclude<Source, { kind: "none" }>;
  #channel: AtomicChannel;
  #busy: Promise<unknown> | undefined;
  #closed = false;
  #peerCapture: number | undefined;
  #peerInterval: number | undefined;
  /** How this source's frames become JPEG. */
  readonly mode: SourceMode;

  private constructor(options: ProducerOptions, channel: AtomicChannel, mode: SourceMode) {
    this.#o = options;
    this.#source = options.source as Exclude<Source, { kind: "none" }>;
    this.#channel = channel;
    this.mode = mode;
  }

  /**
   * Opens the source named by `--source`, in a new capture worker.
   *
   * @param options The call's options (source, size, rate, quality).
   * @returns The producer, or undefined for `--source none`.
   * @throws {CallError} When the source cannot be opened, saying how to fix it.
   */
  static async open(options: ProducerOptions): Promise<Producer | undefined> {
    const source = options.source;
    if (source.kind === "none") return undefined;
    const worker = new Worker(new URL("./capture_worker.ts", import.meta.url), {
      type: "module",
    });
    const memory = channelMemory();
    const started = await new Promise<CaptureStarted>((resolve) => {
      worker.onmessage = (event: MessageEvent<CaptureStarted>) => resolve(event.data);
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        const message = `The capture worker failed: ${event.message}`;
        resolve({ op: "failed", failure: { name: "CallError", message } });
      };
      const start: CaptureStart = {
        memory,
        options: {
          source,
          width: options.width,
          height: options.height,
          fps: options.fps,
          quality: options.quality,
          passthrough: options.passthrough,
          label: options.name,
        },
      };
      worker.postMessage(start);
    });
    if (started.op === "failed") {
      worker.terminate();
      throw fromFailure(started.failure);
    }
    return new Producer(options, new AtomicChannel(worker, memory, "capture"), started.mode);
  }

  /**
   * Captures frames into `box` until `signal` aborts or the source ends:
   * paced to `--fps` (or the `setting` hook's rate), on demand for files
   * and the test pattern, looping a video file. Each packet carries the
   * quality and size its frame was made at.
   *
   * @param box The sender's slot; replaced frames are counted there.
   * @param signal Stops the loop.
   * @param hooks `onEnd`: a live source ended (the call goes on); `onFrame`:
   * each frame as it is published (the self-view copies what it needs);
   * `setting`: the rate, quality and size of the next frame.
   * @throws {CallError} When the source fails or a frame cannot be encoded.
   */
  async run(box: Latest<Packet>, signal: AbortSignal, hooks: ProducerHooks): Promise<void> {
    const o = this.#o;
    let interval = o.fps > 0 ? 1000 / o.fps : 0;
    let next = performance.now();
    let emptyRuns = 0;
    // A file or the test pattern can wait until the sender wants a frame (a
    // live source is read continuously); but a frame left waiting behind a
    // slow link is replaced after a frame interval, so none goes out stale.
    const onDemand = this.#source.kind === "file" || this.#source.kind === "test";
    while (!signal.aborted && !this.#closed) {
      if (onDemand) await box.idle(Math.max(interval, MIN_STALE_MS));
      const setting = hooks.setting?.();
      let quality = o.quality, width = o.width, height = o.height;
      if (setting) {
        ({ quality, width, height } = setting);
        const wanted = setting.fps > 0 ? 1000 / setting.fps : 0;
        if (wanted !== interval) {
          // A new rate: the next capture is one new interval after the one
          // last scheduled (at once, after unpaced captures).
          next = interval > 0 ? next - interval + wanted : performance.now();
          interval = wanted;
        }
      }
      if (interval > 0) {
        const peer = this.#peerInterval;
        if (peer !== undefined && Math.abs(peer - interval) < interval * 0.05) {
          next -= phaseCorrection(next, this.#peerCapture!, interval);
        }
        const wait = next - performance.now();
        if (wait > 0) await delay(wait, signal);
        // Pace from the schedule, but never try to catch up a backlog.
        next = Math.max(next + interval, performance.now() - interval);
        if (signal.aborted) return;
      }
      const packet = box.acquire();
      let got: "frame" | "end";
      try {
        got = await this.#exclusive(() => this.#grab(packet, quality, width, height));
      } catch (error) {
        box.release(packet);
        throw error;
      }
      if (got === "end") {
        box.release(packet);
        if (this.#source.kind === "file" && emptyRuns++ === 0) {
          await this.#exclusive(() => this.#channel.call(CaptureOp.REWIND)); // loop a video file
          continue;
        }
        if (emptyRuns > 1) throw new CallError(`${describeSource(this.#source)} has no frames`);
        hooks.onEnd();
        return;
      }
      emptyRuns = 0;
      hooks.onFrame?.(packet);
      box.publish(packet);
    }
  }

  /**
   * Tells the producer when the peer captured the frame just received, so
   * that a paced schedule settles half a frame interval away from the
   * peer's when both run at the same rate. Two peers on one machine would
   * otherwise capture, encode and decode at the same moments and contend for
   * the same cores (at 1280x720 on two cores: p95 latency 9.2–9.8 ms in step,
   * 7.2–8.0 ms half an interval apart; see docs/PERFORMANCE.md). Between two
   * machines the phase does not matter and the correction is harmless.
   *
   * @param time The peer's capture time on this side's `performance.now()` clock.
   */
  peerCaptured(time: number): void {
    const last = this.#peerCapture;
    this.#peerCapture = time;
    // The peer's frame interval, smoothed; frames it dropped or skipped make
    // it longer, and then the phase is left alone.
    if (last !== undefined && time > last) {
      this.#peerInterval = this.#peerInterval === undefined
        ? time - last
        : this.#peerInterval + (time - last - this.#peerInterval) * 0.1;
    }
  }

  /**
   * Releases the source and the encoder: the worker finishes the frame in
   * hand, closes them and ends (or is stopped after a timeout).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#channel.close(CaptureOp.CLOSE, this.#busy);
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // Runs one channel call, remembered so that close() can follow it.
  #exclusive<T>(call: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new CallError("The capture worker is closed"));
    const promise = call();
    this.#busy = promise;
    return promise;
  }

  // Has the worker write the next frame into `packet`, made at `quality`
  // and `width` x `height`, growing the packet and asking again when the
  // frame does not fit.
  async #grab(
    packet: Packet,
    quality: number,
    width: number,
    height: number,
  ): Promise<"frame" | "end"> {
    const channel = this.#channel;
    while (true) {
      channel.float(0, addressOf(packet.payload));
      channel.int(0, packet.payload.length);
      channel.int(3, quality);
      channel.int(4, width);
      channel.int(5, height);
      await channel.call(CaptureOp.GRAB);
      const code = channel.int(1);
      if (code === GrabCode.END) return "end";
      if (code === GrabCode.SPACE) {
        packet.reserve(channel.int(2), MAX_FRAME_PAYLOAD);
        continue;
      }
      packet.length = channel.int(2);
      packet.timestamp = channel.float(1);
      packet.quality = channel.int(6);
      packet.width = channel.int(7);
      packet.height = channel.int(8);
      return "frame";
    }
  }
}
