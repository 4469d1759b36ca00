/**
 * {@linkcode SelfView}: your own video as a small mirrored picture in the
 * bottom-right corner of what the window shows. It is composed into the
 * displayed image only: the frames sent are not touched.
 *
 * It costs little: the newest own JPEG is copied only when the window asks
 * for a new one, and decoded with TurboJPEG's scaled decode (1/2 to 1/8 of
 * the size) on the main thread, at most {@linkcode SELF_VIEW_FPS} times a
 * second and after the peer's picture has been shown, so the decode is
 * never on the path from the peer's capture to the screen.
 *
 * @module
 */

import { Frame, JpegDecoder, overlayScaled, type Rect } from "../../ffi/mod.ts";

/** The self-view's width as a share of the displayed image's width. */
export const SELF_VIEW_SHARE = 0.25;

/** How often the self-view's picture is renewed, at most (a scaled decode is most of a full one's cost). */
export const SELF_VIEW_FPS = 15;

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
  #decodedAt = -Infinity;
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

  /** Whether a new own frame waits to be decoded. */
  get fresh(): boolean {
    return this.#fresh;
  }

  /**
   * Decodes the newest own frame into the thumbnail, if one came and the
   * last decode is at least 1/{@linkcode SELF_VIEW_FPS} s old. Call it
   * after showing a picture, off the path of the peer's frames.
   *
   * @param targetWidth The width the thumbnail is shown at.
   * @param now The current `performance.now()`.
   * @returns Whether the thumbnail changed.
   */
  refresh(targetWidth: number, now: number): boolean {
    if (!this.#fresh || !this.visible || now - this.#decodedAt < 1000 / SELF_VIEW_FPS) {
      return false;
    }
    this.#decoder ??= new JpegDecoder();
    this.#thumb ??= new Frame();
    this.#fresh = false;
    this.#wanted = true;
    this.#decodedAt = now;
    try {
      this.#decoder.decodeScaledSync(
        this.#jpeg,
        this.#length,
        decodeScale(this.#sourceWidth, targetWidth),
        this.#thumb,
      );
    } catch {
      // Our own encoder's output: a failure here is not worth the call.
      this.#length = 0;
      return false;
    }
    return true;
  }

  /**
   * Draws the thumbnail into `image`'s bottom-right corner (nothing before
   * the first own frame, or while hidden).
   *
   * @param image The displayed image (drawn on).
   * @returns The rectangle drawn, or null.
   */
  drawInto(image: Frame): Rect | null {
    const thumb = this.#thumb;
    if (!this.visible || this.#length === 0 || !thumb || thumb.width === 0) return null;
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
