/**
 * Drawing into frames, for what the call window shows over the peer's
 * video: fills, shading, outlines, text and a scaled picture-in-picture.
 * OpenCV draws into the frame's own pixels, so the result looks the same
 * whatever highgui backend shows it. Each call is synchronous and
 * allocates nothing frame-sized once its sizes are steady.
 *
 * Coordinates are pixels (rounded to integers); rectangles are clipped to
 * the frame, and one with no area draws nothing. Argument errors throw a
 * {@linkcode ShimError} with `code` `Status.ERR_ARG`.
 *
 * @module
 */

import { check, readCString, ShimError } from "./error.ts";
import type { Frame } from "./frame.ts";
import { loadWindowShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import { Status } from "./symbols.ts";
import { asciiCString } from "./text.ts";

/** A colour as blue, green, red, each an integer from 0 to 255 (OpenCV's order). */
export type Bgr = readonly [number, number, number];

/** A rectangle in pixels: its top-left corner and its size. */
export interface Rect {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width (not negative). */
  width: number;
  /** Height (not negative). */
  height: number;
}

const BLACK: Bgr = [0, 0, 0];
const WHITE: Bgr = [255, 255, 255];
/** The default colour of {@linkcode overlayScaled}'s border. */
const BORDER: Bgr = [230, 230, 230];

// The native canvas: error text and scratch memory, one per thread for the
// thread's lifetime.
class Canvas extends NativeObject {
  constructor() {
    const shim = loadWindowShim();
    super(shim.pc_canvas_new(), shim.pc_canvas_free, "canvas");
  }
}

let canvas: Canvas | undefined;
let text = new Uint8Array(256);
const size = new Int32Array(2);

/**
 * Makes `frame` `width` x `height` and fills it with `color`, reusing its
 * pixel buffer when the size is unchanged.
 *
 * @example
 * ```ts
 * using card = new Frame();
 * fillFrame(card, 640, 360, [40, 30, 30]);
 * ```
 *
 * @param frame The frame to overwrite.
 * @param width Width in pixels, 1 to 8192.
 * @param height Height in pixels, 1 to 8192.
 * @param color The colour.
 * @throws {ShimError} When the size or colour is invalid.
 */
export function fillFrame(frame: Frame, width: number, height: number, color: Bgr): void {
  const what = "Cannot fill frame";
  const rgb = pack(color, what);
  const c = handle();
  call(
    loadWindowShim().pc_draw_fill(c, frame.handle, int(width, what), int(height, what), rgb),
    what,
    c,
  );
}

/**
 * Darkens a rectangle of `frame`: blends it towards `color` by `alpha`
 * (each pixel becomes `pixel * (1 - alpha) + color * alpha`), clipped to
 * the frame. Behind text, it keeps the text legible over any video.
 *
 * @example
 * ```ts
 * shadeRect(frame, { x: 10, y: 10, width: 200, height: 40 }, { alpha: 0.6 });
 * ```
 *
 * @param frame The frame to draw on.
 * @param rect The rectangle.
 * @param options `color` (default black) and `alpha`, 0 to 1 (default 0.5).
 * @throws {ShimError} When the frame is empty or an argument is invalid.
 */
export function shadeRect(
  frame: Frame,
  rect: Rect,
  options: { color?: Bgr; alpha?: number } = {},
): void {
  const what = "Cannot shade rectangle";
  const rgb = pack(options.color ?? BLACK, what);
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new ShimError(`${what}: alpha ${alpha} is not from 0 to 1`, Status.ERR_ARG);
  }
  const c = handle();
  const { x, y, width, height } = rect;
  call(
    loadWindowShim().pc_draw_shade(
      c,
      frame.handle,
      int(x, what),
      int(y, what),
      int(width, what),
      int(height, what),
      rgb,
      alpha,
    ),
    what,
    c,
  );
}

/**
 * Draws a rectangle's outline, `thickness` pixels wide just inside the
 * rectangle, or fills the rectangle when `thickness` is 0 or less; clipped
 * to the frame.
 *
 * @example
 * ```ts
 * drawRect(frame, { x: 0, y: 0, width: frame.width, height: frame.height }, [0, 0, 255], 4);
 * ```
 *
 * @param frame The frame to draw on.
 * @param rect The rectangle.
 * @param color The colour.
 * @param thickness Outline width in pixels (default 1); 0 or less fills.
 * @throws {ShimError} When the frame is empty or an argument is invalid.
 */
export function drawRect(frame: Frame, rect: Rect, color: Bgr, thickness = 1): void {
  const what = "Cannot draw rectangle";
  const rgb = pack(color, what);
  const c = handle();
  const { x, y, width, height } = rect;
  call(
    loadWindowShim().pc_draw_rect(
      c,
      frame.handle,
      int(x, what),
      int(y, what),
      int(width, what),
      int(height, what),
      rgb,
      int(thickness, what),
    ),
    what,
    c,
  );
}

/** Where and how {@linkcode drawText} draws. */
export interface TextOptions {
  /** The left edge of the text box. */
  x: number;
  /** The top edge of the text box. */
  y: number;
  /**
   * The height of the text box in pixels: capitals and descenders take
   * about 7/8 of it, the rest is room for brackets above capitals.
   */
  lineHeight: number;
  /** The colour (default white). */
  color?: Bgr;
  /** Stroke width in pixels (default `lineHeight / 16`, rounded, at least 1). */
  thickness?: number;
}

/**
 * Draws one line of text with OpenCV's Hershey simplex font, anti-aliased,
 * in a box whose top-left corner is (`x`, `y`) and whose size
 * {@linkcode measureText} gives: every pixel drawn lies inside that box
 * (and inside the frame). Characters other than printable ASCII are drawn
 * as `?`.
 *
 * @example
 * ```ts
 * const width = drawText(frame, "Waiting for Bob…", { x: 20, y: 20, lineHeight: 32 });
 * ```
 *
 * @param frame The frame to draw on.
 * @param line The text.
 * @param options Position, line height, colour and stroke width.
 * @returns The width of the text box in pixels (0 for empty text).
 * @throws {ShimError} When the frame is empty or an argument is invalid.
 */
export function drawText(frame: Frame, line: string, options: TextOptions): number {
  const what = "Cannot draw text";
  const rgb = pack(options.color ?? WHITE, what);
  const lineHeight = int(options.lineHeight, what);
  const thickness = int(options.thickness ?? defaultThickness(lineHeight), what);
  const c = handle();
  text = asciiCString(line, { scratch: text });
  call(
    loadWindowShim().pc_draw_text(
      c,
      frame.handle,
      text,
      int(options.x, what),
      int(options.y, what),
      lineHeight,
      rgb,
      thickness,
      size,
    ),
    what,
    c,
  );
  return size[0]!;
}

/**
 * Measures a line of text as {@linkcode drawText} would draw it.
 *
 * @example
 * ```ts
 * const { width } = measureText("Waiting for Bob…", 32);
 * drawText(frame, "Waiting for Bob…", { x: (frame.width - width) >> 1, y: 20, lineHeight: 32 });
 * ```
 *
 * @param line The text.
 * @param lineHeight The height of the text box in pixels.
 * @param thickness Stroke width (default as {@linkcode drawText}'s).
 * @returns The text box's size in pixels; `height` is `lineHeight`.
 * @throws {ShimError} When an argument is invalid.
 */
export function measureText(
  line: string,
  lineHeight: number,
  thickness?: number,
): { width: number; height: number } {
  const what = "Cannot measure text";
  const height = int(lineHeight, what);
  const stroke = int(thickness ?? defaultThickness(height), what);
  const c = handle();
  text = asciiCString(line, { scratch: text });
  call(loadWindowShim().pc_text_size(c, text, height, stroke, size), what, c);
  return { width: size[0]!, height: size[1]! };
}

/** How {@linkcode overlayScaled} draws. */
export interface OverlayOptions {
  /** Flip the picture left to right, as a mirror shows one's face (default false). */
  mirror?: boolean;
  /** Width of an outline drawn inside the rectangle, in pixels (default 0: none). */
  border?: number;
  /** The outline's colour (default a light grey). */
  borderColor?: Bgr;
}

/**
 * Scales `src` into the rectangle `rect` of `dst` — averaging areas when
 * shrinking, bilinear otherwise — optionally mirrored, with an optional
 * outline inside the rectangle. The rectangle may reach past `dst`'s
 * edges: what falls outside is cut off. Writes straight into `dst`; only
 * a rectangle reaching past the edges needs the canvas's scratch image,
 * kept from call to call.
 *
 * @example
 * ```ts
 * // A mirrored self-view, a quarter of the width, in the bottom-right corner.
 * const width = frame.width >> 2, height = Math.round(width * self.height / self.width);
 * const rect = { x: frame.width - width - 16, y: frame.height - height - 16, width, height };
 * overlayScaled(frame, self, rect, { mirror: true, border: 2 });
 * ```
 *
 * @param dst The frame to draw on.
 * @param src The picture to draw (not `dst` itself).
 * @param rect Where in `dst`.
 * @param options Mirroring and the outline.
 * @throws {ShimError} When a frame is empty, `src` is `dst`, or an argument is invalid.
 */
export function overlayScaled(
  dst: Frame,
  src: Frame,
  rect: Rect,
  options: OverlayOptions = {},
): void {
  const what = "Cannot overlay frame";
  const rgb = pack(options.borderColor ?? BORDER, what);
  const c = handle();
  const { x, y, width, height } = rect;
  call(
    loadWindowShim().pc_draw_overlay(
      c,
      dst.handle,
      src.handle,
      int(x, what),
      int(y, what),
      int(width, what),
      int(height, what),
      options.mirror ? 1 : 0,
      int(options.border ?? 0, what),
      rgb,
    ),
    what,
    c,
  );
}

function handle(): Deno.PointerObject {
  return (canvas ??= new Canvas()).handle;
}

function call(code: number, what: string, c: Deno.PointerObject): void {
  check(code, what, () => readCString(loadWindowShim().pc_canvas_error(c)));
}

function defaultThickness(lineHeight: number): number {
  return Math.max(1, Math.round(lineHeight / 16));
}

// A colour as the shim's 0xRRGGBB.
function pack(color: Bgr, what: string): number {
  const [b, g, r] = color;
  if (!(isByte(b) && isByte(g) && isByte(r)) || color.length !== 3) {
    throw new ShimError(
      `${what}: invalid colour [${
        color.join(", ")
      }]: each channel must be an integer from 0 to 255`,
      Status.ERR_ARG,
    );
  }
  return (r << 16) | (g << 8) | b;
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 255;
}

// A coordinate or size rounded to an integer the shim takes.
function int(value: number, what: string): number {
  if (!Number.isFinite(value) || Math.abs(value) > 0x3fffffff) {
    throw new ShimError(`${what}: ${value} is not a usable number of pixels`, Status.ERR_ARG);
  }
  return Math.round(value);
}
