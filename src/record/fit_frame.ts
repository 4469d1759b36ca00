/**
 * {@linkcode FrameFitter}: brings a JPEG to a given frame size — decoded,
 * scaled into the size (letterboxed in black when its shape differs, see
 * {@linkcode fitRect}) and encoded again at {@linkcode FIT_QUALITY} — for
 * the recording worker, which keeps every frame of a track at the size the
 * track's header declares.
 *
 * Why: a sender that adapts to a slow link sends smaller frames for a while
 * (a 640x480 call sends 480x360 or 320x240 JPEGs). Copied into the file as
 * they are, those frames make a track whose size changes mid-stream, which
 * decoders take badly: FFmpeg's MJPEG decoder (ffmpeg, ffprobe, mpv, VLC)
 * opened on a 640x480 track whose first picture is 320x240 — playback or
 * a seek that starts in a stretch of small frames — takes each small
 * picture for one field of an interlaced frame: it shows 320x480 frames and
 * loses every other one ("No JPEG data found in image"); players that do
 * decode them change the picture's size mid-file.
 *
 * Uses the shim's JPEG codec (`libpeercam.so`) and its drawing
 * (`libpeercam_window.so`, without opening a window: some 20 ms and 10 MB
 * more to load than the capture library's 200 ms and 35 MB), both loaded on
 * the first frame fitted. Buffers are reused: nothing frame-sized is
 * allocated per frame once the sizes are steady.
 *
 * @module
 */

import { JpegDecoder, JpegEncoder } from "../../ffi/codec.ts";
import { type Bgr, fillFrame, overlayScaled, type Rect } from "../../ffi/draw.ts";
import { ShimError } from "../../ffi/error.ts";
import { Frame } from "../../ffi/frame.ts";

/**
 * The JPEG quality a fitted frame is encoded at: high, so that the second
 * encoding adds little to the sender's own loss.
 */
export const FIT_QUALITY = 90;

const BLACK: Bgr = [0, 0, 0];

/** A size in pixels. */
export interface FrameSize {
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/**
 * Where a `frame`-sized picture goes in a `box`: scaled as large as fits,
 * its shape kept, centred. A shape within about 1% of the box's (the
 * sender's smaller sizes are rounded to even numbers) fills the whole box
 * rather than leave a bar a pixel or two wide.
 *
 * @example
 * ```ts
 * fitRect({ width: 320, height: 240 }, { width: 640, height: 480 });
 * // { x: 0, y: 0, width: 640, height: 480 }
 * fitRect({ width: 640, height: 360 }, { width: 640, height: 480 });
 * // { x: 0, y: 60, width: 640, height: 360 }
 * ```
 *
 * @param frame The picture's size.
 * @param box The size to fit it into.
 * @returns The rectangle of the box the picture fills.
 */
export function fitRect(frame: FrameSize, box: FrameSize): Rect {
  const scale = Math.min(box.width / frame.width, box.height / frame.height);
  const width = Math.min(box.width, Math.round(frame.width * scale));
  const height = Math.min(box.height, Math.round(frame.height * scale));
  const slack = (side: number) => Math.max(2, Math.floor(side / 100));
  if (box.width - width <= slack(box.width) && box.height - height <= slack(box.height)) {
    return { x: 0, y: 0, width: box.width, height: box.height };
  }
  return {
    x: Math.floor((box.width - width) / 2),
    y: Math.floor((box.height - height) / 2),
    width,
    height,
  };
}

/** Re-encodes JPEGs at another size, reusing its buffers. One call at a time. */
export class FrameFitter implements Disposable {
  #decoder: JpegDecoder | undefined;
  #encoder: JpegEncoder | undefined;
  #decoded: Frame | undefined;
  #canvas: Frame | undefined;
  #canvasWidth = 0;
  #canvasHeight = 0;
  #input = new Uint8Array(0);
  #output = new Uint8Array(64 * 1024);

  /**
   * Decodes `jpeg`, scales it into `width` x `height` (see
   * {@linkcode fitRect}) and encodes the result at {@linkcode FIT_QUALITY}.
   *
   * @param jpeg The JPEG (shared memory will do: it is copied first).
   * @param width The width to make.
   * @param height The height to make.
   * @returns The new JPEG (a view of a buffer the next call overwrites), or
   * null when `jpeg` does not decode.
   * @throws {ShimLoadError} When the codec or the drawing library cannot be loaded.
   * @throws {ShimError} When scaling or encoding fails (out of memory).
   */
  fit(jpeg: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> | null {
    const decoded = this.#decoded ??= new Frame();
    const canvas = this.#canvas ??= new Frame();
    this.#decoder ??= new JpegDecoder();
    this.#encoder ??= new JpegEncoder();
    if (this.#input.length < jpeg.length) this.#input = new Uint8Array(grown(jpeg.length));
    this.#input.set(jpeg);
    try {
      this.#decoder.decodeSync(this.#input, decoded, jpeg.length);
    } catch (error) {
      if (error instanceof ShimError) return null;
      throw error;
    }
    const rect = fitRect({ width: decoded.width, height: decoded.height }, { width, height });
    const whole = rect.width === width && rect.height === height;
    // The bars outside the picture are filled black; a picture that fills
    // the canvas overwrites every pixel, and needs no fill.
    if (!whole || this.#canvasWidth !== width || this.#canvasHeight !== height) {
      fillFrame(canvas, width, height, BLACK);
      this.#canvasWidth = width;
      this.#canvasHeight = height;
    }
    overlayScaled(canvas, decoded, rect);
    let result = this.#encoder.encodeSync(canvas, FIT_QUALITY, this.#output);
    if (!result.ok) {
      this.#output = new Uint8Array(grown(result.needed));
      result = this.#encoder.encodeSync(canvas, FIT_QUALITY, this.#output);
      if (!result.ok) throw new RangeError(`The encoder wants ${result.needed} bytes`);
    }
    return this.#output.subarray(0, result.length);
  }

  /** Frees the native objects (harmless twice). */
  close(): void {
    this.#decoder?.close();
    this.#encoder?.close();
    this.#decoded?.close();
    this.#canvas?.close();
  }

  /** Same as {@linkcode close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

// A buffer size for `n` bytes, with room for somewhat larger frames later.
function grown(n: number): number {
  return Math.ceil((n * 1.25) / 4096) * 4096;
}
