/**
 * {@linkcode Grabber}: the capture source and the JPEG encoder, turning each
 * frame into JPEG bytes the cheapest way the source allows. Its calls block
 * the calling thread: it runs in the capture worker
 * (`src/send/capture_worker.ts`), never on the main thread.
 *
 * @module
 */

import {
  Capture,
  type EncodeResult,
  Frame,
  JpegDecoder,
  JpegEncoder,
  resizeFrame,
  type ScaleDenominator,
  scaledSize,
  ShimError,
} from "../../ffi/mod.ts";
import { CallError } from "../errors.ts";
import { Packet } from "../packet.ts";
import { MAX_FRAME_PAYLOAD, now } from "../net/protocol.ts";
import { describeSource, openFailureMessage, type Source } from "../source.ts";
import { AS_STORED, type FrameSetting } from "./frame_setting.ts";

/**
 * How frames become JPEG: encoded from BGR (`encode`), or for a source
 * stored as JPEG at the frame size, sent as stored (`passthrough`, re-encoded
 * as `transcode` when a frame is wanted smaller or at a lower quality) or
 * re-encoded without leaving the DCT domain (`transcode`; decoded and
 * scaled for a smaller frame).
 */
export type SourceMode = "encode" | "passthrough" | "transcode";

/**
 * How {@linkcode Grabber.grab} is to make one frame: a
 * {@linkcode FrameSetting} without its rate.
 */
export type GrabSetting = Pick<FrameSetting, "quality" | "width" | "height">;

/**
 * The smallest side {@linkcode Grabber.grab} makes a frame (or the call's
 * side, when that is smaller): a smaller one is raised to it.
 */
export const MIN_GRAB_SIDE = 16;

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
  /**
   * JPEG quality, 1 to 100: what a frame is encoded at when
   * {@linkcode Grabber.grab} is not told otherwise, and in `passthrough`
   * mode the ceiling at and above which stored bytes go as they are.
   */
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
  #frame = new Frame(); // as read (encode), or decoded (JPEG sources)
  #scaled = new Frame(); // at a smaller size than the call's
  #encoder = new JpegEncoder();
  #decoder: JpegDecoder | undefined; // made when a JPEG source is first scaled
  #sourceJpeg = new Packet(256 * 1024);
  // The last frame did not fit the caller's buffer: the next call makes it
  // again from the pixels or JPEG still in hand, at that call's setting.
  #pending = false;
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
   * Writes the next frame as JPEG into `out`, made at `want`: read at the
   * call's size, scaled down when `want` is smaller, encoded at its quality.
   * A JPEG source is re-encoded in the DCT domain at the call's size, or
   * decoded (at 1/2, 1/4 or 1/8 in the decoder where that is enough) and
   * scaled; in `passthrough` mode its stored bytes go unchanged when `want`
   * is the call's size at a quality of at least the ceiling
   * ({@linkcode GrabberOptions.quality}). `want` is clamped: each side to
   * {@linkcode MIN_GRAB_SIDE} to the call's, the quality to 1 to 100 (a value
   * that is not a number: the call's size or quality).
   *
   * When `out` is too small, says how much is needed and keeps the frame:
   * the next call, with a larger buffer, delivers the same frame, made at
   * that call's `want`.
   *
   * @example
   * ```ts
   * const got = grabber.grab(out, { quality: 40, width: 320, height: 240 });
   * if (got.kind === "frame") send(out.subarray(0, got.length), got.width, got.height);
   * ```
   *
   * @param out Where the JPEG bytes go.
   * @param want The quality and size (default: the call's, as opened).
   * @returns The frame's length, capture time and the quality
   * ({@linkcode AS_STORED} for stored bytes) and size it was made at; the
   * size needed; or the end of the source.
   * @throws {CallError} When the source fails or a frame cannot be encoded.
   */
  grab(out: Uint8Array<ArrayBuffer>, want?: GrabSetting): GrabResult {
    return this.#naming(() => this.#grab(out, want));
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
    for (const native of [this.#capture, this.#encoder, this.#decoder, this.#frame, this.#scaled]) {
      native?.close();
    }
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #grab(out: Uint8Array<ArrayBuffer>, want: GrabSetting | undefined): GrabResult {
    const o = this.#o;
    const width = side(want?.width, o.width);
    const height = side(want?.height, o.height);
    const quality = clampQuality(want?.quality, o.quality);
    const full = width === o.width && height === o.height;
    const asStored = this.mode === "passthrough" && full && quality >= o.quality;
    if (asStored && !this.#pending) {
      // The usual case of a stored source: read straight into `out`, no copy.
      const result = this.#capture.readJpegSync(out);
      if (result.kind === "end") return { kind: "end" };
      this.#timestamp = now();
      if (result.kind === "frame") return this.#made(result.length, AS_STORED, width, height);
      // Too big for `out`: the shim hands the same frame out again; keep it
      // here, where the next call makes it at whatever that call wants.
      if (!this.#readJpeg()) return { kind: "end" };
      this.#pending = true;
      return checked(result.needed, `The source has a ${result.needed}-byte frame`);
    }
    if (!this.#pending) {
      const read = this.mode === "encode"
        ? this.#capture.readSync(this.#frame) === "frame"
        : this.#readJpeg();
      if (!read) return { kind: "end" };
      this.#timestamp = now(); // a new frame was read now
    }
    this.#pending = false; // until this frame is found not to fit
    if (asStored) {
      const source = this.#sourceJpeg;
      if (source.length > out.length) {
        this.#pending = true;
        return checked(source.length, `The source has a ${source.length}-byte frame`);
      }
      out.set(source.payload.subarray(0, source.length));
      return this.#made(source.length, AS_STORED, width, height);
    }
    const result = this.#encode(out, quality, width, height);
    if (!result.ok) {
      this.#pending = true;
      return checked(result.needed, `A frame encodes to ${result.needed} bytes`);
    }
    return this.#made(result.length, quality, width, height);
  }

  // A frame result for the frame in hand.
  #made(length: number, quality: number, width: number, height: number): GrabResult {
    return { kind: "frame", length, timestamp: this.#timestamp, quality, width, height };
  }

  // Encodes the frame in hand at `quality`, `width` x `height`.
  #encode(
    out: Uint8Array<ArrayBuffer>,
    quality: number,
    width: number,
    height: number,
  ): EncodeResult {
    const encoder = this.#encoder;
    const full = width === this.#o.width && height === this.#o.height;
    if (this.mode === "encode") {
      if (full) return encoder.encodeSync(this.#frame, quality, out);
      resizeFrame(this.#frame, this.#scaled, width, height);
      return encoder.encodeSync(this.#scaled, quality, out);
    }
    const source = this.#sourceJpeg;
    if (full) return encoder.encodeJpegSync(source.payload, source.length, quality, out);
    return encoder.encodeSync(this.#decodeAt(width, height), quality, out);
  }

  // Decodes the source JPEG to `width` x `height` (smaller than the call's
  // size): in the decoder's inverse DCT at the smallest scale still at least
  // that large (all of it when that is half, a quarter or an eighth, as
  // scaledSize() rounds), then resized the rest of the way.
  #decodeAt(width: number, height: number): Frame {
    const o = this.#o;
    const source = this.#sourceJpeg;
    const decoder = this.#decoder ??= new JpegDecoder();
    let denominator: ScaleDenominator = 1;
    for (const d of SCALES) {
      const scaled = scaledSize(o.width, o.height, d);
      if (scaled.width >= width && scaled.height >= height) {
        denominator = d;
        break;
      }
    }
    const decoded = this.#frame;
    decoder.decodeScaledSync(source.payload, source.length, denominator, decoded);
    if (decoded.width === width && decoded.height === height) return decoded;
    resizeFrame(decoded, this.#scaled, width, height);
    return this.#scaled;
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

/**
 * What {@linkcode Grabber.grab} got: a frame of `length` bytes captured at
 * `timestamp` (ms since the Unix epoch) and made at `quality`
 * ({@linkcode AS_STORED}: stored bytes sent as they are) and `width` x
 * `height`; the size a buffer needs; or the end of the source.
 */
export type GrabResult =
  | {
    kind: "frame";
    length: number;
    timestamp: number;
    quality: number;
    width: number;
    height: number;
  }
  | { kind: "space"; needed: number }
  | { kind: "end" };

// The scales a JPEG source is decoded at to make a smaller frame, smallest first.
const SCALES = [8, 4, 2] as const;

// A wanted side, clamped to MIN_GRAB_SIDE (or the call's side) .. the call's side.
function side(value: number | undefined, call: number): number {
  if (value === undefined || !Number.isFinite(value)) return call;
  return Math.min(call, Math.max(Math.min(MIN_GRAB_SIDE, call), Math.round(value)));
}

// A wanted quality, clamped to 1..100.
function clampQuality(value: number | undefined, call: number): number {
  if (value === undefined || !Number.isFinite(value)) return call;
  return Math.min(100, Math.max(1, Math.round(value)));
}

// A "space" result, or an error when no buffer may be that large.
function checked(needed: number, what: string): GrabResult {
  if (needed > MAX_FRAME_PAYLOAD) {
    throw new CallError(
      `${what}, over the ${MAX_FRAME_PAYLOAD}-byte limit: lower --quality or --size`,
    );
  }
  return { kind: "space", needed };
}
