/**
 * {@linkcode TerminalCanvas}: pictures turned into terminal output by
 * libchafa (`libpeercam_chafa.so`, loaded on first use) — Unicode symbols
 * with 16, 256 or 24-bit colours, sixel or kitty graphics.
 *
 * @module
 */

import { bufferMessage, check, cString, readCString, ShimError } from "./error.ts";
import { loadChafaShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import { Status } from "./symbols.ts";

/** How pictures are drawn: `PC_TERM_SYMBOLS`, `PC_TERM_SIXEL`, `PC_TERM_KITTY`. */
export const TerminalGraphics = { symbols: 0, sixel: 1, kitty: 2 } as const;

/** A drawing mode's name. */
export type TerminalGraphicsName = keyof typeof TerminalGraphics;

/** The colours symbols use: `PC_TERM_COLORS_*`. */
export const TerminalColors = { "16": 0, "256": 1, direct: 2 } as const;

/** A colour mode's name (`direct` is 24-bit colour). */
export type TerminalColorsName = keyof typeof TerminalColors;

/** What chafa's terminal database says a terminal can show. */
export interface TerminalCapabilities {
  /** The kitty graphics protocol. */
  kitty: boolean;
  /** Sixel graphics. */
  sixel: boolean;
  /** 24-bit colour. */
  direct: boolean;
  /** 256 colours. */
  colors256: boolean;
  /** 16 colours. */
  colors16: boolean;
}

/** The picture's mode and size, for {@linkcode TerminalCanvas.configure}. */
export interface CanvasSetup {
  /** How to draw. */
  graphics: TerminalGraphicsName;
  /** The colours of symbols (ignored by sixel and kitty). */
  colors: TerminalColorsName;
  /** Width in character cells. */
  cols: number;
  /** Height in character cells. */
  rows: number;
  /** A cell's width in pixels (sixel and kitty images are drawn at this scale). */
  cellWidth: number;
  /** A cell's height in pixels. */
  cellHeight: number;
}

/** A terminal's size, as the terminal reports it. */
export interface TtySize {
  /** Columns. */
  cols: number;
  /** Rows. */
  rows: number;
  /** Width in pixels, 0 when the terminal does not say. */
  width: number;
  /** Height in pixels, 0 when the terminal does not say. */
  height: number;
}

/**
 * Reads the size of the terminal on a file descriptor (`TIOCGWINSZ`),
 * pixels included, which `Deno.consoleSize()` leaves out.
 *
 * @param fd 0, 1 or 2.
 * @returns The size, or null when `fd` is not a terminal.
 */
export function ttySize(fd: number): TtySize | null {
  const size = new Int32Array(4);
  if (loadChafaShim().pc_tty_size(fd, size) !== Status.OK) return null;
  return { cols: size[0]!, rows: size[1]!, width: size[2]!, height: size[3]! };
}

/** Largest output of one picture, bytes (a full-screen sixel image stays far below). */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * The terminal's database entry and one chafa canvas, reused from picture
 * to picture. {@linkcode draw} runs on a pool thread, one at a time.
 */
export class TerminalCanvas extends NativeObject {
  #caps: TerminalCapabilities;
  #out = new Uint8Array(256 * 1024);
  #len = new Uint32Array(1);
  #rowBreak = { text: "", bytes: cString("") };

  /**
   * Detects the terminal from the environment with chafa's terminal
   * database (`TERM`, `COLORTERM`, `TERM_PROGRAM`, `VTE_VERSION`, ...).
   *
   * @param env The environment, e.g. `Deno.env.toObject()`.
   * @throws {ShimLoadError} When libpeercam_chafa.so cannot be loaded.
   * @throws {ShimError} When chafa cannot be set up.
   */
  constructor(env: Record<string, string>) {
    const shim = loadChafaShim();
    const err = new Uint8Array(512);
    const ptr = shim.pc_term_new(envBlock(env), err, err.length);
    if (ptr === null) throw new ShimError(`Cannot set up chafa: ${bufferMessage(err)}`);
    super(ptr, shim.pc_term_free, "terminal canvas");
    const bits = shim.pc_term_capabilities(ptr);
    this.#caps = {
      kitty: (bits & 1) !== 0,
      sixel: (bits & 2) !== 0,
      direct: (bits & 4) !== 0,
      colors256: (bits & 8) !== 0,
      colors16: (bits & 16) !== 0,
    };
  }

  /** What the terminal was detected to show. */
  get capabilities(): TerminalCapabilities {
    return { ...this.#caps };
  }

  /**
   * Sets the mode and size of the pictures drawn next (a new chafa canvas
   * only when something changed).
   *
   * @param setup Mode, colours and size in cells.
   * @throws {ShimError} On a size outside 1..4096 (cells: 1..1024) or a draw in flight.
   */
  configure(setup: CanvasSetup): void {
    const shim = loadChafaShim();
    this.exclusiveSync((ptr) =>
      check(
        shim.pc_term_configure(
          ptr,
          TerminalGraphics[setup.graphics],
          TerminalColors[setup.colors],
          setup.cols,
          setup.rows,
          setup.cellWidth,
          setup.cellHeight,
        ),
        "Cannot set up the terminal picture",
        () => readCString(shim.pc_term_error(ptr)),
      )
    );
  }

  /**
   * Draws packed BGR pixels as terminal output, on a pool thread. The
   * pixels must not change until the promise settles.
   *
   * @param bgr `width * height * 3` bytes, rows top to bottom.
   * @param picture Its size, and `rowBreak`: what is written between rows
   * of symbols (a line break and a move to the picture's left edge).
   * @returns The output, valid until the next draw.
   * @throws {ShimError} When not configured, on bad sizes, or when the
   * output would pass {@linkcode MAX_OUTPUT_BYTES}.
   */
  async draw(
    bgr: Uint8Array<ArrayBuffer>,
    picture: { width: number; height: number; rowBreak: string },
  ): Promise<Uint8Array> {
    const { width, height } = picture;
    if (picture.rowBreak !== this.#rowBreak.text) {
      // The shim reads a C string: NUL-terminated, encoded once per change.
      this.#rowBreak = { text: picture.rowBreak, bytes: cString(picture.rowBreak) };
    }
    const rowBreak = this.#rowBreak.bytes;
    if (bgr.length < width * height * 3) {
      throw new RangeError(`Cannot draw: expected ${width}x${height}x3 bytes, got ${bgr.length}`);
    }
    const shim = loadChafaShim();
    return await this.exclusive(async (ptr) => {
      while (true) {
        const out = this.#out;
        const code = await shim.pc_term_draw(
          ptr,
          bgr,
          width,
          height,
          rowBreak,
          out,
          out.length,
          this.#len,
        );
        if (code === Status.ERR_SPACE && this.#len[0]! <= MAX_OUTPUT_BYTES) {
          // Grows once per larger picture size, not per frame.
          this.#out = new Uint8Array(Math.max(this.#len[0]!, out.length * 2));
          continue;
        }
        check(code, "Cannot draw the picture", () => readCString(shim.pc_term_error(ptr)));
        return out.subarray(0, this.#len[0]!);
      }
    });
  }
}

/**
 * Encodes an environment as the shim reads it: `NAME=value` strings, each
 * NUL-terminated, then an empty one.
 *
 * @param env Names and values; entries holding a NUL are left out.
 * @returns The block.
 */
export function envBlock(env: Record<string, string>): Uint8Array<ArrayBuffer> {
  const entries = Object.entries(env)
    .filter(([name, value]) => name !== "" && !`${name}${value}`.includes("\0"))
    .map(([name, value]) => `${name}=${value}\0`);
  return new TextEncoder().encode(`${entries.join("")}\0`);
}
