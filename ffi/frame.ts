/**
 * {@linkcode Frame}: an 8-bit BGR image held in native memory.
 *
 * @module
 */

import { check } from "./error.ts";
import { loadShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";

/**
 * A native BGR image. Captures and decoders write into a frame, encoders and
 * windows read from one; its pixel buffer is reused from frame to frame.
 */
export class Frame extends NativeObject {
  /**
   * Creates an empty frame, or, given `borrowed`, an object for a frame that
   * another object owns (one lent to this thread with `lend()`): closing
   * that object never frees the frame.
   *
   * @param borrowed The address of a frame owned elsewhere.
   */
  constructor(borrowed?: Deno.PointerObject) {
    const shim = loadShim();
    super(borrowed ?? shim.pc_frame_new(), borrowed ? () => {} : shim.pc_frame_free, "frame");
  }

  /** Width in pixels (0 while empty). */
  get width(): number {
    return loadShim().pc_frame_width(this.handle);
  }

  /** Height in pixels (0 while empty). */
  get height(): number {
    return loadShim().pc_frame_height(this.handle);
  }

  /**
   * Creates a frame holding a copy of packed BGR pixels.
   *
   * @param bgr `width * height * 3` bytes, rows top to bottom.
   * @param width Width in pixels.
   * @param height Height in pixels.
   * @returns The new frame.
   * @throws {RangeError} When `bgr` has the wrong length.
   */
  static fromBGR(bgr: Uint8Array<ArrayBuffer>, width: number, height: number): Frame {
    if (!(width > 0 && height > 0) || bgr.length !== width * height * 3) {
      throw new RangeError(
        `Cannot create frame: expected ${width}x${height}x3 bytes, got ${bgr.length}`,
      );
    }
    const frame = new Frame();
    const shim = loadShim();
    check(
      shim.pc_frame_set_bgr(frame.handle, bgr, width, height),
      "Cannot create frame",
      () => "out of memory",
    );
    return frame;
  }

  /**
   * Copies the pixels as packed BGR into a buffer the caller reuses.
   *
   * @param out At least `width * height * 3` bytes.
   * @throws {ShimError} When the frame is empty or `out` is too small.
   */
  copyBGR(out: Uint8Array<ArrayBuffer>): void {
    check(
      loadShim().pc_frame_copy_bgr(this.handle, out, out.length),
      "Cannot copy frame",
      () => out.length < this.width * this.height * 3 ? "buffer too small" : "frame is empty",
    );
  }

  /**
   * Copies the pixels out as packed BGR (allocates; not for the frame loop).
   *
   * @returns `width * height * 3` bytes.
   */
  toBGR(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.width * this.height * 3);
    check(
      loadShim().pc_frame_copy_bgr(this.handle, out, out.length),
      "Cannot copy frame",
      () => "frame is empty",
    );
    return out;
  }
}
