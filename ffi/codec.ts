/**
 * {@linkcode JpegEncoder} and {@linkcode JpegDecoder}: JPEG through the shim,
 * writing into caller-owned buffers so the frame loop allocates nothing.
 * Every call blocks the calling thread: peercam makes them in the worker
 * that owns the encoder or decoder.
 *
 * @module
 */

import { check, readCString, ShimError } from "./error.ts";
import type { Frame } from "./frame.ts";
import { loadShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import { Status } from "./symbols.ts";

/** The result of {@linkcode JpegEncoder.encodeSync}. */
export type EncodeResult =
  | { ok: true; length: number }
  | { ok: false; needed: number };

/** A scale {@linkcode JpegDecoder.decodeScaledSync} decodes at: 1/denominator. */
export type ScaleDenominator = 1 | 2 | 4 | 8;

/**
 * The size of a `width` x `height` image decoded at 1/`denominator`, as
 * {@linkcode JpegDecoder.decodeScaledSync} makes it: each side divided,
 * rounded up.
 *
 * @example
 * ```ts
 * scaledSize(640, 480, 4); // { width: 160, height: 120 }
 * ```
 *
 * @param width The image's width.
 * @param height The image's height.
 * @param denominator 1, 2, 4 or 8.
 * @returns The decoded size.
 */
export function scaledSize(
  width: number,
  height: number,
  denominator: ScaleDenominator,
): { width: number; height: number } {
  return { width: Math.ceil(width / denominator), height: Math.ceil(height / denominator) };
}

/** Encodes frames as JPEG. One call at a time. */
export class JpegEncoder extends NativeObject {
  #len = new Uint32Array(1);

  /** Creates an encoder. */
  constructor() {
    const shim = loadShim();
    super(shim.pc_encoder_new(), shim.pc_encoder_free, "encoder");
  }

  /**
   * Encodes `frame` into `out`, blocking the calling thread.
   *
   * @param frame The image to encode.
   * @param quality JPEG quality, 1 to 100.
   * @param out Where the JPEG bytes go.
   * @returns The encoded length, or, when `out` is too small, the size needed.
   * @throws {ShimError} When encoding fails.
   */
  encodeSync(frame: Frame, quality: number, out: Uint8Array<ArrayBuffer>): EncodeResult {
    return this.exclusiveSync((ptr) => {
      const shim = loadShim();
      const code = shim.pc_encode(ptr, frame.handle, quality, out, out.length, this.#len);
      return this.#result(code, ptr, "Cannot encode frame");
    });
  }

  /**
   * Re-encodes a JPEG image at `quality` without decoding it to pixels: its
   * DCT coefficients are requantized to the new quality's tables, keeping
   * the source's colour space and subsampling. For JPEG sources. Blocks the
   * calling thread.
   *
   * @param jpeg The source image.
   * @param length How many bytes of `jpeg` to read.
   * @param quality JPEG quality, 1 to 100.
   * @param out Where the new JPEG bytes go.
   * @returns The encoded length, or, when `out` is too small, the size needed.
   * @throws {ShimError} When the source image cannot be read or encoding fails.
   */
  encodeJpegSync(
    jpeg: Uint8Array<ArrayBuffer>,
    length: number,
    quality: number,
    out: Uint8Array<ArrayBuffer>,
  ): EncodeResult {
    // Called once per frame in the capture worker: arguments passed as they
    // are, with no array to spread.
    return this.exclusiveSync((ptr) => {
      checkLength(length, jpeg, "re-encode");
      const shim = loadShim();
      const code = shim.pc_encode_jpeg(ptr, jpeg, length, quality, out, out.length, this.#len);
      return this.#result(code, ptr, "Cannot re-encode frame");
    });
  }

  // The encoded length, the size needed, or the shim's error.
  #result(code: number, ptr: Deno.PointerObject, what: string): EncodeResult {
    const len = this.#len[0]!;
    if (code === Status.ERR_SPACE) return { ok: false, needed: len };
    check(code, what, () => readCString(loadShim().pc_encoder_error(ptr)));
    return { ok: true, length: len };
  }
}

/** Decodes JPEG images into frames. One call at a time. */
export class JpegDecoder extends NativeObject {
  /** Creates a decoder. */
  constructor() {
    const shim = loadShim();
    super(shim.pc_decoder_new(), shim.pc_decoder_free, "decoder");
  }

  /**
   * Decodes `jpeg` into `frame`, reusing the frame's pixel buffer, blocking
   * the calling thread.
   *
   * @param jpeg The compressed image.
   * @param frame The frame to overwrite.
   * @param length How many bytes of `jpeg` to decode (default: all).
   * @throws {ShimError} When the bytes are not a decodable JPEG image.
   */
  decodeSync(jpeg: Uint8Array<ArrayBuffer>, frame: Frame, length = jpeg.length): void {
    this.exclusiveSync((ptr) => {
      checkLength(length, jpeg, "decode");
      this.#check(loadShim().pc_decode(ptr, jpeg, length, frame.handle), ptr);
    });
  }

  /**
   * Decodes `data` at 1/`denominator` of its size into `out` (its pixel
   * buffer reused when the size is unchanged), blocking the calling thread.
   * Scaling happens inside the decoder's inverse DCT, so a smaller scale
   * costs less than a full decode: for a small preview, such as the
   * self-view of one's own video.
   *
   * @example
   * ```ts
   * decoder.decodeScaledSync(jpeg, length, 4, preview); // 640x480 → 160x120
   * ```
   *
   * @param data The compressed image.
   * @param length How many bytes of `data` to decode.
   * @param denominator 1, 2, 4 or 8; each side is divided and rounded up
   * (see {@linkcode scaledSize}).
   * @param out The frame to overwrite.
   * @throws {ShimError} When the bytes are not a decodable JPEG image, or
   * the length or denominator is invalid.
   */
  decodeScaledSync(
    data: Uint8Array<ArrayBuffer>,
    length: number,
    denominator: ScaleDenominator,
    out: Frame,
  ): void {
    this.exclusiveSync((ptr) => {
      checkLength(length, data, "decode");
      this.#check(loadShim().pc_decode_scaled(ptr, data, length, denominator, out.handle), ptr);
    });
  }

  #check(code: number, ptr: Deno.PointerObject): void {
    check(code, "Cannot decode frame", () => readCString(loadShim().pc_decoder_error(ptr)));
  }
}

// Refuses a length outside the buffer before any native call.
function checkLength(length: number, jpeg: Uint8Array, what: string): void {
  if (!(length > 0 && length <= jpeg.length)) {
    throw new ShimError(`Cannot ${what} frame: invalid length ${length}`, Status.ERR_ARG);
  }
}
