/**
 * {@linkcode TextPanel}: lines of text on a dark box, drawn once into a
 * picture of their own and copied onto each displayed frame. The HUD's
 * text changes once a second while frames come 30 times a second: a copy
 * costs a few microseconds, drawing the text a few hundred.
 *
 * @module
 */

import { type Bgr, drawText, fillFrame, Frame, measureText, overlayScaled } from "../../ffi/mod.ts";

const PANEL_COLOR: Bgr = [24, 22, 20];
const TEXT_COLOR: Bgr = [240, 240, 240];

/** Where a panel goes in the image. */
export type PanelPlace = "top-left" | "center";

/**
 * The text height for an image: a thirtieth of its height, at least 12 pixels.
 *
 * @param imageHeight The image's height.
 * @returns Pixels.
 */
export function textHeight(imageHeight: number): number {
  return Math.max(12, Math.round(imageHeight / 30));
}

/** A box of text, re-rendered only when its lines or size change. */
export class TextPanel implements Disposable {
  #frame = new Frame();
  #key = "";

  /**
   * Draws `lines` onto `image` at `place`.
   *
   * @param image The displayed image.
   * @param lines The text, ASCII.
   * @param place Where.
   */
  drawInto(image: Frame, lines: readonly string[], place: PanelPlace): void {
    const lineHeight = textHeight(image.height);
    const key = `${lineHeight}\n${lines.join("\n")}`;
    if (key !== this.#key) this.#render(lines, lineHeight, key);
    const panel = this.#frame;
    const margin = Math.round(lineHeight * 0.6);
    overlayScaled(image, panel, {
      x: place === "top-left" ? margin : Math.max(0, Math.round((image.width - panel.width) / 2)),
      y: place === "top-left" ? margin : Math.max(0, Math.round((image.height - panel.height) / 2)),
      width: panel.width,
      height: panel.height,
    });
  }

  #render(lines: readonly string[], lineHeight: number, key: string): void {
    const gap = Math.round(lineHeight * 0.5);
    const pad = Math.round(lineHeight * 0.6);
    let width = 0;
    for (const line of lines) width = Math.max(width, measureText(line, lineHeight).width);
    const height = lines.length * lineHeight + (lines.length - 1) * gap;
    fillFrame(this.#frame, width + 2 * pad, height + 2 * pad, PANEL_COLOR);
    let y = pad;
    for (const line of lines) {
      drawText(this.#frame, line, { x: pad, y, lineHeight, color: TEXT_COLOR });
      y += lineHeight + gap;
    }
    this.#key = key;
  }

  /** Frees the panel's picture. */
  close(): void {
    this.#frame.close();
  }

  /** Calls `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
