/**
 * {@linkcode Window}: an OpenCV highgui window. Every method is a
 * synchronous call on the main thread, which Qt requires.
 *
 * @module
 */

import type { Rect } from "./draw.ts";
import { bufferMessage, check, cString, readCString, ShimError } from "./error.ts";
import type { Frame } from "./frame.ts";
import { loadWindowShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import type { WindowShim } from "./symbols.ts";

/** A window showing frames. */
export class Window extends NativeObject {
  #title: string;

  /**
   * Opens a window. Check `displayAvailable()` (src/display.ts) first: Qt aborts the
   * process when it cannot reach a display.
   *
   * @param id A unique window id.
   * @param title The title bar text.
   * @throws {ShimError} When the window cannot be created.
   */
  constructor(id: string, title: string) {
    const shim = loadWindowShim();
    const err = new Uint8Array(512);
    const ptr = shim.pc_window_open(cString(id), cString(title), err, err.length);
    if (ptr === null) throw new ShimError(`Cannot open window: ${bufferMessage(err)}`);
    super(ptr, shim.pc_window_close, "window");
    this.#title = title;
  }

  /**
   * The title bar text; setting it retitles the window.
   *
   * @throws {ShimError} When the window cannot be retitled.
   */
  get title(): string {
    return this.#title;
  }

  set title(text: string) {
    this.#check((shim, ptr) => shim.pc_window_set_title(ptr, cString(text)), "Cannot set title");
    this.#title = text;
  }

  /**
   * Shows `frame` (the window keeps its own copy).
   *
   * @param frame The image to show.
   * @throws {ShimError} When the frame cannot be shown.
   */
  show(frame: Frame): void {
    this.#check((shim, ptr) => shim.pc_window_show(ptr, frame.handle), "Cannot show frame");
  }

  /**
   * Sets the size of the window's image area.
   *
   * @param width Pixels.
   * @param height Pixels.
   */
  resize(width: number, height: number): void {
    this.#check((shim, ptr) => shim.pc_window_resize(ptr, width, height), "Cannot resize window");
  }

  /**
   * Moves the window on screen.
   *
   * @param x Left edge, pixels.
   * @param y Top edge, pixels.
   */
  move(x: number, y: number): void {
    this.#check((shim, ptr) => shim.pc_window_move(ptr, x, y), "Cannot move window");
  }

  /**
   * Whether the window fills the screen. Setting it switches the window to
   * fullscreen or back to its normal size; the change takes effect as the
   * GUI event loop runs ({@linkcode pollKey}).
   *
   * @throws {ShimError} When the window is gone.
   */
  get fullscreen(): boolean {
    const shim = loadWindowShim();
    const ptr = this.handle;
    const code = shim.pc_window_fullscreen(ptr);
    check(
      code < 0 ? code : 0,
      "Cannot read the window's state",
      () => readCString(shim.pc_window_error(ptr)),
    );
    return code === 1;
  }

  set fullscreen(on: boolean) {
    this.#check(
      (shim, ptr) => shim.pc_window_set_fullscreen(ptr, on ? 1 : 0),
      on ? "Cannot make the window fullscreen" : "Cannot leave fullscreen",
    );
  }

  /**
   * Where the window's image area is on the screen, in screen pixels.
   *
   * @returns The area's top-left corner and size.
   * @throws {ShimError} When the window is gone.
   */
  imageRect(): Rect {
    const xywh = new Int32Array(4);
    this.#check(
      (shim, ptr) => shim.pc_window_image_rect(ptr, xywh),
      "Cannot read the window's image area",
    );
    return { x: xywh[0]!, y: xywh[1]!, width: xywh[2]!, height: xywh[3]! };
  }

  #check(call: (shim: WindowShim, ptr: Deno.PointerObject) => number, what: string): void {
    const shim = loadWindowShim();
    const ptr = this.handle;
    check(call(shim, ptr), what, () => readCString(shim.pc_window_error(ptr)));
  }

  /** Whether the window is still open (false once the user closed it). */
  get visible(): boolean {
    return loadWindowShim().pc_window_visible(this.handle) === 1;
  }

  /**
   * Runs the GUI event loop briefly and returns the key pressed, if any.
   *
   * @param delayMs How long to wait for a key, at least 1 ms.
   * @returns The key code, or -1 for none.
   */
  pollKey(delayMs = 1): number {
    return loadWindowShim().pc_window_poll_key(this.handle, delayMs);
  }
}
