/**
 * {@linkcode Producer}: the sending side's capture task. It owns the capture
 * source and the JPEG encoder, and turns frames into JPEG packets for the
 * sender's {@linkcode Latest} slot, the cheapest way the source allows.
 *
 * @module
 */

import { Capture, type EncodeResult, Frame, JpegEncoder, ShimError } from "../ffi/mod.ts";
import type { Options } from "./cli.ts";
import { delay } from "./connect.ts";
import { CallError } from "./errors.ts";
import type { Latest } from "./latest.ts";
import { Packet } from "./packet.ts";
import { MAX_FRAME_PAYLOAD, now } from "./protocol.ts";
import { describeSource, openFailureMessage, type Source } from "./source.ts";

/** How long a captured frame may wait for the sender before a fresher one replaces it. */
export const MIN_STALE_MS = 20;

/**
 * How frames become JPEG: encoded from BGR (`encode`), or for a source
 * stored as JPEG at the frame size, sent as stored (`passthrough`) or
 * re-encoded without leaving the DCT domain (`transcode`).
 */
export type SourceMode = "encode" | "passthrough" | "transcode";

/** Captures and encodes frames until stopped. */
export class Producer implements Disposable {
  #o: Options;
  #source: Exclude<Source, { kind: "none" }>;
  #capture: Capture;
  #frame = new Frame();
  #encoder = new JpegEncoder();
  #sourceJpeg = new Packet(256 * 1024);
  /** How this source's frames become JPEG. */
  readonly mode: SourceMode;

  private constructor(options: Options, capture: Capture, mode: SourceMode) {
    this.#o = options;
    this.#source = options.source as Exclude<Source, { kind: "none" }>;
    this.#capture = capture;
    this.mode = mode;
  }

  /**
   * Opens the source named by `--source`.
   *
   * @param options The call's options (source, size, rate, quality).
   * @returns The producer, or undefined for `--source none`.
   * @throws {CallError} When the source cannot be opened, saying how to fix it.
   */
  static async open(options: Options): Promise<Producer | undefined> {
    const source = options.source;
    if (source.kind === "none") return undefined;
    let capture: Capture;
    try {
      capture = await Capture.open({
        kind: source.kind,
        spec: source.spec,
        width: options.width,
        height: options.height,
        fps: options.fps,
      });
    } catch (error) {
      if (!(error instanceof ShimError)) throw error;
      throw new CallError(openFailureMessage(source, error.message), { cause: error });
    }
    const [width, height] = capture.sourceSize();
    const jpeg = width === options.width && height === options.height &&
      capture.enablePassthrough();
    const mode = !jpeg ? "encode" : options.passthrough ? "passthrough" : "transcode";
    return new Producer(options, capture, mode);
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
          await this.#capture.rewind(); // loop a video file
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

  /** Releases the source and the encoder (a capture in flight finishes first). */
  close(): void {
    for (const native of [this.#capture, this.#encoder, this.#frame]) native.close();
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // Fills `packet` with the next frame as JPEG.
  async #grab(packet: Packet): Promise<"frame" | "end"> {
    const quality = this.#o.quality;
    const encoder = this.#encoder;
    if (this.mode === "encode") {
      const frame = this.#frame;
      if (await this.#capture.read(frame) === "end") return "end";
      packet.timestamp = now();
      packet.length = await fit(packet, (out) => encoder.encode(frame, quality, out));
      return "frame";
    }
    const source = this.mode === "passthrough" ? packet : this.#sourceJpeg;
    if (!await this.#readJpeg(source)) return "end";
    packet.timestamp = now();
    if (source !== packet) {
      packet.length = await fit(
        packet,
        (out) => encoder.encodeJpeg(source.payload, source.length, quality, out),
      );
    }
    return "frame";
  }

  // Reads the source's next JPEG frame into `into`; false at the end.
  async #readJpeg(into: Packet): Promise<boolean> {
    while (true) {
      const result = await this.#capture.readJpeg(into.payload);
      if (result.kind === "end") return false;
      if (result.kind === "frame") {
        into.length = result.length;
        return true;
      }
      if (result.needed > MAX_FRAME_PAYLOAD) {
        throw new CallError(
          `The source has a ${result.needed}-byte frame, over the ${MAX_FRAME_PAYLOAD}-byte limit`,
        );
      }
      into.reserve(result.needed, MAX_FRAME_PAYLOAD); // that frame is skipped, once
    }
  }
}

// Runs an encode into `packet`, growing the packet once if it is too small.
async function fit(
  packet: Packet,
  encode: (out: Uint8Array<ArrayBuffer>) => Promise<EncodeResult>,
): Promise<number> {
  let result = await encode(packet.payload);
  if (!result.ok) {
    if (result.needed > MAX_FRAME_PAYLOAD) {
      throw new CallError(
        `A frame encodes to ${result.needed} bytes, over the ${MAX_FRAME_PAYLOAD}-byte ` +
          "limit: lower --quality or --size",
      );
    }
    packet.reserve(result.needed, MAX_FRAME_PAYLOAD);
    result = await encode(packet.payload);
    if (!result.ok) throw new CallError("Cannot encode frame: encoder output keeps growing");
  }
  return result.length;
}
