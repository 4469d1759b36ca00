/**
 * {@linkcode Grabber}: the capture source and the JPEG encoder, turning each
 * frame into JPEG bytes the cheapest way the source allows. Its calls block
 * the calling thread: it runs in the capture worker
 * (`src/send/capture_worker.ts`), never on the main thread.
 *
 * @module
 */

import { Capture, Frame, JpegEncoder, ShimError } from "../../ffi/mod.ts";
import { CallError } from "../errors.ts";
import { Packet } from "../packet.ts";
import { MAX_FRAME_PAYLOAD, now } from "../net/protocol.ts";
import { describeSource, openFailureMessage, type Source } from "../source.ts";

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
  /** Text the test pattern draws large in each frame, such as `--name`. */
  label?: string;
}

/** Captures and encodes one frame at a time, synchronously. */
export class Grabber implements Disposable {
  #o: GrabberOptions;
  #capture: Capture;
  #frame = new Frame();
  #encoder = new JpegEncoder();
  #sourceJpeg = new Packet(256 * 1024);
  #pending = false; // the last frame did not fit the caller's buffer
  #timestamp = 0;
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
        label: options.label,
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
   * Writes the next frame as JPEG into `out`. When `out` is too small, says
   * how much is needed and keeps the frame: the next call, with a larger
   * buffer, delivers the same frame.
   *
   * @param out Where the JPEG bytes go.
   * @returns The frame's length and capture time, the size needed, or the end of the source.
   * @throws {CallError} When the source fails or a frame cannot be encoded.
   */
  grab(out: Uint8Array<ArrayBuffer>): GrabResult {
    return this.#naming(() => this.#grab(out));
  }

  /**
   * Seeks a video file back to its start.
   *
   * @throws {CallError} When the source cannot seek.
   */
  rewind(): void {
    this.#pending = false;
    this.#naming(() => this.#capture.rewindSync());
  }

  // Runs `body`, turning a native error into a CallError that names the source.
  #naming<T>(body: () => T): T {
    try {
      return body();
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

  #grab(out: Uint8Array<ArrayBuffer>): GrabResult {
    const quality = this.#o.quality;
    const encoder = this.#encoder;
    if (this.mode === "passthrough") {
      // The shim keeps a frame that did not fit and hands it out again.
      const result = this.#capture.readJpegSync(out);
      if (result.kind === "end") return { kind: "end" };
      if (!this.#pending) this.#timestamp = now(); // a new frame was read now
      this.#pending = result.kind === "space";
      if (result.kind === "space") {
        return checked(result.needed, `The source has a ${result.needed}-byte frame`);
      }
      return { kind: "frame", length: result.length, timestamp: this.#timestamp };
    }
    if (!this.#pending) {
      if (
        this.mode === "encode" ? this.#capture.readSync(this.#frame) === "end" : !this.#readJpeg()
      ) {
        return { kind: "end" };
      }
      this.#timestamp = now();
    }
    const source = this.#sourceJpeg;
    const result = this.mode === "encode"
      ? encoder.encodeSync(this.#frame, quality, out)
      : encoder.encodeJpegSync(source.payload, source.length, quality, out);
    this.#pending = !result.ok;
    if (!result.ok) return checked(result.needed, `A frame encodes to ${result.needed} bytes`);
    return { kind: "frame", length: result.length, timestamp: this.#timestamp };
  }

  // Reads the source's next JPEG frame into the source buffer; false at the end.
  #readJpeg(): boolean {
    const into = this.#sourceJpeg;
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

/** What {@linkcode Grabber.grab} got. */
export type GrabResult =
  | { kind: "frame"; length: number; timestamp: number }
  | { kind: "space"; needed: number }
  | { kind: "end" };

// A "space" result, or an error when no buffer may be that large.
function checked(needed: number, what: string): GrabResult {
  if (needed > MAX_FRAME_PAYLOAD) {
    throw new CallError(
      `${what}, over the ${MAX_FRAME_PAYLOAD}-byte limit: lower --quality or --size`,
    );
  }
  return { kind: "space", needed };
}
