/**
 * {@linkcode SelfView}: your own video as a small mirrored picture in the
 * bottom-right corner of what the window shows. It is composed into the
 * displayed image only: the frames sent are not touched.
 *
 * It costs little: the newest own JPEG is copied only when the window asks
 * for a new one (so at most at the rate pictures are shown), and decoded
 * with TurboJPEG's scaled decode (1/2 to 1/8 of the size, a fraction of a
 * full decode's work) on the main thread.
 *
 * @module
 */

import { Frame, JpegDecoder, overlayScaled, type Rect } from "../../ffi/mod.ts";

/** The self-view's width as a share of the displayed image's width. */
export const SELF_VIEW_SHARE = 0.25;

/** Border of the self-view, pixels. */
export const SELF_VIEW_BORDER = 2;

/**
 * Where the self-view goes in an image: bottom-right, a quarter of the
 * width, keeping the own video's aspect ratio, with a margin of 2 % of the
 * width.
 *
 * @param image The displayed image's size.
 * @param own The own video's size.
 * @returns The rectangle, in the image's pixels.
 */
export function selfViewRect(
  image: { width: number; height: number },
  own: { width: number; height: number },
): Rect {
  const width = Math.max(16, Math.round(image.width * SELF_VIEW_SHARE));
  const height = Math.max(12, Math.round(width * own.height / Math.max(1, own.width)));
  const margin = Math.round(image.width * 0.02);
  return {
    x: Math.max(0, image.width - width - margin),
    y: Math.max(0, image.height - height - margin),
    width: Math.min(width, image.width),
    height: Math.min(height, image.height),
  };
}

/**
 * The scaled-decode denominator for a thumbnail at least `target` pixels
 * wide: the largest of 8, 4, 2 that still gives that width, else 1.
 *
 * @param width The JPEG's width.
 * @param target The width wanted.
 * @returns 1, 2, 4 or 8.
 */
export function decodeScale(width: number, target: number): 1 | 2 | 4 | 8 {
  for (const d of [8, 4, 2] as const) if (width / d >= target) return d;
  return 1;
}

/** The own video, kept small, for the corner of the window. */
export class SelfView implements Disposable {
  #jpeg = new Uint8Array(64 * 1024);
  #length = 0;
  #wanted = true;
  #fresh = false;
  #decoder: JpegDecoder | undefined;
  #thumb: Frame | undefined;
  #sourceWidth = 0;
  /** Whether it is shown (`p`). */
  visible: boolean;
  /** Whether it is mirrored like a mirror (`x`). */
  mirrored = true;

  /** @param visible Whether it starts shown (`--no-self-view` starts without). */
  constructor(visible: boolean) {
    this.visible = visible;
  }

  /**
   * Offers the newest own JPEG; copied only when the window wants a new one.
   *
   * @param jpeg The bytes (read now, not kept).
   * @param width The frame's width.
   */
  offer(jpeg: Uint8Array, width: number): void {
    if (!this.#wanted || !this.visible) return;
    if (jpeg.length > this.#jpeg.length) {
      this.#jpeg = new Uint8Array(Math.max(jpeg.length, this.#jpeg.length * 2));
    }
    this.#jpeg.set(jpeg);
    this.#length = jpeg.length;
    this.#sourceWidth = width;
    this.#wanted = false;
    this.#fresh = true;
  }

  /** Whether a new own frame came since the last {@linkcode drawInto}. */
  get fresh(): boolean {
    return this.#fresh;
  }

  /**
   * Draws the self-view into `image`'s bottom-right corner (nothing before
   * the first own frame, or while hidden).
   *
   * @param image The displayed image (drawn on).
   * @returns The rectangle drawn, or null.
   */
  drawInto(image: Frame): Rect | null {
    if (!this.visible || this.#length === 0) return null;
    const target = Math.round(image.width * SELF_VIEW_SHARE);
    if (this.#fresh) {
      this.#decoder ??= new JpegDecoder();
      this.#thumb ??= new Frame();
      this.#fresh = false;
      try {
        this.#decoder.decodeScaledSync(
          this.#jpeg,
          this.#length,
          decodeScale(this.#sourceWidth, target),
          this.#thumb,
        );
      } catch {
        // Our own encoder's output: a failure here is not worth the call.
        this.#length = 0;
        return null;
      }
    }
    this.#wanted = true;
    const thumb = this.#thumb;
    if (!thumb || thumb.width === 0) return null;
    const rect = selfViewRect(image, thumb);
    overlayScaled(image, thumb, rect, { mirror: this.mirrored, border: SELF_VIEW_BORDER });
    return rect;
  }

  /** Frees the decoder and the thumbnail. */
  close(): void {
    this.#decoder?.close();
    this.#thumb?.close();
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
