/**
 * {@linkcode Grabber}: the capture source and the JPEG encoder, turning each
 * frame into JPEG bytes the cheapest way the source allows. Its calls block
 * the calling thread: it runs in the capture worker
 * (`src/capture_worker.ts`), never on the main thread.
 *
 * @module
 */

import { Capture, type EncodeResult, Frame, JpegEncoder, ShimError } from "../ffi/mod.ts";
import { CallError } from "./errors.ts";
import { Packet } from "./packet.ts";
import { MAX_FRAME_PAYLOAD, now } from "./protocol.ts";
import { describeSource, openFailureMessage, type Source } from "./source.ts";

/**
 * How frames become JPEG: encoded from BGR (`encode`), or for a source
 * stored as JPEG at the frame size, sent as stored (`passthrough`) or
 * re-encoded without leaving the DCT domain (`transcode`).
 */
export type SourceMode = "encode" | "passthrough" | "transcode";

/** What a {@linkcode Grabber} opens and how it encodes. */
export interface GrabberOptions {
  /** The source (not `none`). */
  source: Exclude<Source, { kind: "none" }>;
  /** Frame width. */
  width: number;
  /** Frame height. */
  height: number;
  /** Frame rate to ask a live source for (0: its default). */
  fps: number;
  /** JPEG quality, 1 to 100. */
  quality: number;
  /** Send a JPEG source's frames as stored (no `--quality` given). */
  passthrough: boolean;
}

/** Captures and encodes one frame at a time, synchronously. */
export class Grabber implements Disposable {
  #o: GrabberOptions;
  #capture: Capture;
  #frame = new Frame();
  #encoder = new JpegEncoder();
  #sourceJpeg = new Packet(256 * 1024);
  /** How this source's frames become JPEG. */
  readonly mode: SourceMode;

  private constructor(options: GrabberOptions, capture: Capture, mode: SourceMode) {
    this.#o = options;
    this.#capture = capture;
    this.mode = mode;
  }

  /**
   * Opens the source.
   *
   * @param options What to open and how to encode it.
   * @returns The grabber.
   * @throws {CallError} When the source cannot be opened, saying how to fix it.
   */
  static async open(options: GrabberOptions): Promise<Grabber> {
    const { source } = options;
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
    return new Grabber(options, capture, mode);
  }

  /**
   * Fills `packet` with the next frame as JPEG, stamped with its capture
   * time. The packet may be given a larger buffer.
   *
   * @param packet Where the frame goes.
   * @returns `"frame"`, or `"end"` when the source has no more frames.
   * @throws {CallError} When the source fails or a frame cannot be encoded.
   */
  grab(packet: Packet): "frame" | "end" {
    try {
      return this.#grab(packet);
    } catch (error) {
      if (!(error instanceof ShimError)) throw error;
      throw new CallError(`${describeSource(this.#o.source)}: ${error.message}`, { cause: error });
    }
  }

  /**
   * Seeks a video file back to its start.
   *
   * @throws {CallError} When the source cannot seek.
   */
  async rewind(): Promise<void> {
    try {
      await this.#capture.rewind();
    } catch (error) {
      if (!(error instanceof ShimError)) throw error;
      throw new CallError(`${describeSource(this.#o.source)}: ${error.message}`, { cause: error });
    }
  }

  /** Releases the source and the encoder. */
  close(): void {
    for (const native of [this.#capture, this.#encoder, this.#frame]) native.close();
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #grab(packet: Packet): "frame" | "end" {
    const quality = this.#o.quality;
    const encoder = this.#encoder;
    if (this.mode === "encode") {
      const frame = this.#frame;
      if (this.#capture.readSync(frame) === "end") return "end";
      packet.timestamp = now();
      packet.length = fit(packet, (out) => encoder.encodeSync(frame, quality, out));
      return "frame";
    }
    const source = this.mode === "passthrough" ? packet : this.#sourceJpeg;
    if (!this.#readJpeg(source)) return "end";
    packet.timestamp = now();
    if (source !== packet) {
      packet.length = fit(
        packet,
        (out) => encoder.encodeJpegSync(source.payload, source.length, quality, out),
      );
    }
    return "frame";
  }

  // Reads the source's next JPEG frame into `into`; false at the end.
  #readJpeg(into: Packet): boolean {
    while (true) {
      const result = this.#capture.readJpegSync(into.payload);
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
      into.reserve(result.needed, MAX_FRAME_PAYLOAD); // the same frame comes again
    }
  }
}

// Runs an encode into `packet`, growing the packet once if it is too small.
function fit(packet: Packet, encode: (out: Uint8Array<ArrayBuffer>) => EncodeResult): number {
  let result = encode(packet.payload);
  if (!result.ok) {
    if (result.needed > MAX_FRAME_PAYLOAD) {
      throw new CallError(
        `A frame encodes to ${result.needed} bytes, over the ${MAX_FRAME_PAYLOAD}-byte ` +
          "limit: lower --quality or --size",
      );
    }
    packet.reserve(result.needed, MAX_FRAME_PAYLOAD);
    result = encode(packet.payload);
    if (!result.ok) throw new CallError("Cannot encode frame: encoder output keeps growing");
  }
  return result.length;
}
