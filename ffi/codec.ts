/**
 * {@linkcode JpegEncoder} and {@linkcode JpegDecoder}: JPEG through the shim,
 * writing into caller-owned buffers so the frame loop allocates nothing.
 *
 * @module
 */

import { readCString, ShimError } from "./error.ts";
import type { Frame } from "./frame.ts";
import { loadShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import { Status } from "./symbols.ts";

/** The result of {@linkcode JpegEncoder.encode}. */
export type EncodeResult =
  | { ok: true; length: number }
  | { ok: false; needed: number };

/** Encodes frames as JPEG. One `encode()` at a time. */
export class JpegEncoder extends NativeObject {
  #len = new Uint32Array(1);

  /** Creates an encoder. */
  constructor() {
    const shim = loadShim();
    super(shim.pc_encoder_new(), shim.pc_encoder_free, "encoder");
  }

  /**
   * Encodes `frame` into `out`.
   *
   * @param frame The image to encode.
   * @param quality JPEG quality, 1 to 100.
   * @param out Where the JPEG bytes go.
   * @returns The encoded length, or, when `out` is too small, the size needed.
   * @throws {ShimError} When encoding fails.
   */
  encode(frame: Frame, quality: number, out: Uint8Array<ArrayBuffer>): Promise<EncodeResult> {
    return this.exclusive(async (ptr) => {
      const code = await loadShim().pc_encode(
        ptr,
        frame.handle,
        quality,
        out,
        out.length,
        this.#len,
      );
      return this.#result(code, ptr, "Cannot encode frame");
    });
  }

  /**
   * {@linkcode encode}, blocking the calling thread: for a worker that owns
   * this encoder.
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
      const code = shim.pc_encode_sync(ptr, frame.handle, quality, out, out.length, this.#len);
      return this.#result(code, ptr, "Cannot encode frame");
    });
  }

  /**
   * Re-encodes a JPEG image at `quality` without decoding it to pixels: its
   * DCT coefficients are requantized to the new quality's tables, keeping
   * the source's colour space and subsampling. For JPEG sources.
   *
   * @param jpeg The source image; must not change until the promise settles.
   * @param length How many bytes of `jpeg` to read.
   * @param quality JPEG quality, 1 to 100.
   * @param out Where the new JPEG bytes go.
   * @returns The encoded length, or, when `out` is too small, the size needed.
   * @throws {ShimError} When the source image cannot be decoded or encoding fails.
   */
  encodeJpeg(
    jpeg: Uint8Array<ArrayBuffer>,
    length: number,
    quality: number,
    out: Uint8Array<ArrayBuffer>,
  ): Promise<EncodeResult> {
    return this.exclusive(async (ptr) => {
      checkLength(length, jpeg, "re-encode");
      const code = await loadShim().pc_encode_jpeg(
        ptr,
        jpeg,
        length,
        quality,
        out,
        out.length,
        this.#len,
      );
      return this.#result(code, ptr, "Cannot re-encode frame");
    });
  }

  /**
   * {@linkcode encodeJpeg}, blocking the calling thread: for a worker that
   * owns this encoder.
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
      const code = shim.pc_encode_jpeg_sync(ptr, jpeg, length, quality, out, out.length, this.#len);
      return this.#result(code, ptr, "Cannot re-encode frame");
    });
  }

  // The encoded length, the size needed, or the shim's error.
  #result(code: number, ptr: Deno.PointerObject, what: string): EncodeResult {
    const len = this.#len[0]!;
    if (code === Status.ERR_SPACE) return { ok: false, needed: len };
    if (code !== Status.OK) {
      throw new ShimError(`${what}: ${readCString(loadShim().pc_encoder_error(ptr))}`, code);
    }
    return { ok: true, length: len };
  }
}

/** Decodes JPEG images into frames. One `decode()` at a time. */
export class JpegDecoder extends NativeObject {
  /** Creates a decoder. */
  constructor() {
    const shim = loadShim();
    super(shim.pc_decoder_new(), shim.pc_decoder_free, "decoder");
  }

  /**
   * Decodes `jpeg` into `frame`, reusing the frame's pixel buffer.
   *
   * @param jpeg The compressed image; must not change until the promise settles.
   * @param frame The frame to overwrite.
   * @param length How many bytes of `jpeg` to decode (default: all).
   * @throws {ShimError} When the bytes are not a decodable JPEG image.
   */
  decode(jpeg: Uint8Array<ArrayBuffer>, frame: Frame, length = jpeg.length): Promise<void> {
    return this.exclusive(async (ptr) => {
      checkLength(length, jpeg, "decode");
      this.#check(await loadShim().pc_decode(ptr, jpeg, length, frame.handle), ptr);
    });
  }

  /**
   * {@linkcode decode}, blocking the calling thread: for a worker that owns
   * this decoder.
   *
   * @param jpeg The compressed image.
   * @param frame The frame to overwrite.
   * @param length How many bytes of `jpeg` to decode (default: all).
   * @throws {ShimError} When the bytes are not a decodable JPEG image.
   */
  decodeSync(jpeg: Uint8Array<ArrayBuffer>, frame: Frame, length = jpeg.length): void {
    this.exclusiveSync((ptr) => {
      checkLength(length, jpeg, "decode");
      this.#check(loadShim().pc_decode_sync(ptr, jpeg, length, frame.handle), ptr);
    });
  }

  #check(code: number, ptr: Deno.PointerObject): void {
    if (code !== Status.OK) {
      throw new ShimError(
        `Cannot decode frame: ${readCString(loadShim().pc_decoder_error(ptr))}`,
        code,
      );
    }
  }
}

// Refuses a length outside the buffer before any native call.
function checkLength(length: number, jpeg: Uint8Array, what: string): void {
  if (length <= 0 || length > jpeg.length) {
    throw new ShimError(`Cannot ${what} frame: invalid length ${length}`, Status.ERR_ARG);
  }
}
