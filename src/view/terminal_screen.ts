/**
 * The pure parts of the terminal view: which drawing mode a terminal gets,
 * where the picture goes, the escape sequences that take the terminal over
 * and give it back, the status line, and the keys read in raw mode. No I/O.
 *
 * @module
 */

import { withoutControlCharacters } from "../text.ts";
import { actionForKey, type KeyAction } from "./keys.ts";

/** How the picture is drawn (`--term-graphics`). */
export type TermGraphics = "kitty" | "sixel" | "symbols";

/** The colours of symbols: 24-bit, 256 or 16. */
export type TermColors = "direct" | "256" | "16";

/** What chafa's terminal database found (see `TerminalCanvas.capabilities`). */
export interface DetectedTerminal {
  /** The kitty graphics protocol. */
  kitty: boolean;
  /** Sixel graphics. */
  sixel: boolean;
  /** 256 colours. */
  colors256: boolean;
}

/** A drawing mode. */
export interface TermMode {
  /** Kitty or sixel images, or Unicode symbols. */
  graphics: TermGraphics;
  /** The colours of symbols. */
  colors: TermColors;
}

/**
 * Picks the drawing mode: kitty graphics, else sixel, where chafa's
 * terminal database says the terminal has them (unless forced); symbols
 * otherwise, in 24-bit colour when `COLORTERM` says `truecolor`/`24bit` or
 * `TERM` ends in `-direct` (or the terminal is kitty), else in 256 colours
 * when `TERM` or the database says so, else in 16.
 *
 * @param env The environment (`TERM`, `COLORTERM`).
 * @param options What the database found, and a mode `--term-graphics` forces.
 * @returns The mode.
 *
 * @example
 * ```ts
 * const found = { kitty: false, sixel: false, colors256: true };
 * chooseMode({ TERM: "xterm-256color" }, { detected: found }); // symbols, "256"
 * ```
 */
export function chooseMode(
  env: Record<string, string | undefined>,
  options: { detected: DetectedTerminal; forced?: TermGraphics },
): TermMode {
  const { detected, forced } = options;
  const graphics = forced ??
    (detected.kitty ? "kitty" : detected.sixel ? "sixel" : "symbols");
  const term = (env.TERM ?? "").toLowerCase();
  const colorterm = (env.COLORTERM ?? "").toLowerCase();
  let colors: TermColors = "16";
  if (
    colorterm === "truecolor" || colorterm === "24bit" || /-direct$/.test(term) || detected.kitty
  ) {
    colors = "direct";
  } else if (/256/.test(term) || (detected.colors256 && !/^(linux|vt\d+|ansi)$/.test(term))) {
    colors = "256";
  }
  return { graphics, colors };
}

/**
 * Why the environment's terminal cannot host the view, if it cannot: one
 * that does not move the cursor (`TERM` unset or `dumb`).
 *
 * @param env The environment.
 * @returns The reason, or null when the terminal will do.
 */
export function terminalProblem(env: Record<string, string | undefined>): string | null {
  const term = env.TERM ?? "";
  if (term === "" || term === "dumb") {
    return `TERM is ${term === "" ? "not set" : '"dumb"'}, a terminal that cannot move the cursor`;
  }
  return null;
}

/** A size in character cells. */
export interface CellSize {
  /** Columns. */
  cols: number;
  /** Rows. */
  rows: number;
}

/** Where the picture goes: its size in cells and its top-left cell (0-based). */
export interface PictureLayout extends CellSize {
  /** Column of its left edge. */
  left: number;
  /** Row of its top edge. */
  top: number;
}

/**
 * Fits a frame into the screen above the status line, keeping its shape
 * (a cell is `cell.height / cell.width` times as tall as it is wide) and
 * centring it.
 *
 * @param screen The terminal's size in cells.
 * @param frame The frame's size in pixels and a cell's size in pixels.
 * @returns The picture's place, at least one cell, or null when the screen
 * has no room for a picture (fewer than two rows or no column).
 *
 * @example
 * ```ts
 * // 640x480 in 120x40 cells of 10x20 pixels: 104 columns, 39 rows.
 * fitPicture({ cols: 120, rows: 40 }, { width: 640, height: 480, cell: { width: 10, height: 20 } });
 * ```
 */
export function fitPicture(
  screen: CellSize,
  frame: { width: number; height: number; cell: { width: number; height: number } },
): PictureLayout | null {
  const areaCols = Math.floor(screen.cols);
  const areaRows = Math.floor(screen.rows) - 1; // the last row is the status line
  if (areaCols < 1 || areaRows < 1 || frame.width < 1 || frame.height < 1) return null;
  const cellAspect = frame.cell.height / frame.cell.width;
  // The frame's height in cells when it is areaCols wide.
  const rowsAtFullWidth = (frame.height / frame.width) * areaCols / cellAspect;
  let cols: number, rows: number;
  if (rowsAtFullWidth <= areaRows) {
    cols = areaCols;
    rows = Math.max(1, Math.round(rowsAtFullWidth));
  } else {
    rows = areaRows;
    cols = Math.max(
      1,
      Math.min(areaCols, Math.round(areaRows * cellAspect * frame.width / frame.height)),
    );
  }
  return {
    cols,
    rows,
    left: Math.floor((areaCols - cols) / 2),
    top: Math.floor((areaRows - rows) / 2),
  };
}

/**
 * The cell size, in pixels, to draw a picture at. Sixel images are shown
 * pixel for pixel, so they need the terminal's real cell size; the
 * terminal scales kitty images to their cells, so a kitty image is made no
 * larger than the frame (more pixels would only cost bandwidth).
 *
 * @param graphics The drawing mode.
 * @param options The terminal's cell, the picture's size in cells and the frame's in pixels.
 * @returns Whole pixels, at least 1 each.
 */
export function drawingCell(
  graphics: TermGraphics,
  options: {
    cell: { width: number; height: number };
    picture: CellSize;
    frame: { width: number; height: number };
  },
): { width: number; height: number } {
  const { cell, picture, frame } = options;
  let scale = 1;
  if (graphics === "kitty") {
    scale = Math.min(
      1,
      frame.width / (picture.cols * cell.width),
      frame.height / (picture.rows * cell.height),
    );
  }
  return {
    width: Math.max(1, Math.round(cell.width * scale)),
    height: Math.max(1, Math.round(cell.height * scale)),
  };
}

const ESC = "\x1b";

/** Moves the cursor to a 0-based cell. */
export function cursorTo(col: number, row: number): string {
  return `${ESC}[${row + 1};${col + 1}H`;
}

/**
 * Takes the terminal over: the alternate screen, cursor hidden, no line
 * wrap (a character in the last column never scrolls the picture), colours
 * reset, screen cleared.
 */
export const ENTER_SEQUENCE = `${ESC}[?1049h${ESC}[?25l${ESC}[?7l${ESC}[0m${ESC}[2J`;

/**
 * Gives the terminal back: an escape sequence cut short ends (CAN, then
 * ST), kitty images are deleted, colours reset, line wrap and the cursor
 * back, the normal screen back.
 *
 * @param graphics The mode drawn with (kitty images are deleted).
 * @returns The sequence to write.
 */
export function restoreSequence(graphics: TermGraphics): string {
  const kitty = graphics === "kitty" ? `${ESC}_Ga=d${ESC}\\` : "";
  return `\x18${ESC}\\${kitty}${ESC}[0m${ESC}[?7h${ESC}[?25h${ESC}[?1049l`;
}

/**
 * What goes between two rows of the picture: the next line, then the
 * picture's left edge (the terminal may be in raw mode, where a line feed
 * does not return the carriage; and "next line" never scrolls).
 *
 * @param left The picture's left column, 0-based.
 * @returns The bytes.
 */
export function rowBreak(left: number): string {
  return left > 0 ? `${ESC}[E${ESC}[${left + 1}G` : `${ESC}[E`;
}

/**
 * Clears the rows above the status line.
 *
 * @param screen The terminal's size.
 * @returns The sequence.
 */
export function clearPictureArea(screen: CellSize): string {
  // Erase from the top down to the status line, row by row (ED would erase the status line too).
  let out = `${ESC}[0m`;
  for (let row = 0; row < screen.rows - 1; row++) out += `${cursorTo(0, row)}${ESC}[2K`;
  return out;
}

/**
 * A line of text in the middle of the picture area (cards: waiting,
 * paused, reconnecting).
 *
 * @param text The card's text.
 * @param screen The terminal's size.
 * @returns The sequence that draws it.
 */
export function centredText(text: string, screen: CellSize): string {
  const line = fitLine(text, screen.cols);
  const row = Math.max(0, Math.floor((screen.rows - 1) / 2));
  const col = Math.max(0, Math.floor((screen.cols - [...line].length) / 2));
  return `${cursorTo(col, row)}${ESC}[0m${line}`;
}

/**
 * Draws the status line: the last row, cleared, in inverse video, with
 * `text` cut to fit (its last column left empty).
 *
 * @param text The line; control characters become spaces.
 * @param screen The terminal's size.
 * @returns The sequence.
 */
export function statusLine(text: string, screen: CellSize): string {
  const line = fitLine(text, screen.cols - 1);
  return `${cursorTo(0, screen.rows - 1)}${ESC}[0m${ESC}[2K${ESC}[7m${line}${ESC}[0m`;
}

function fitLine(text: string, width: number): string {
  const chars = [...withoutControlCharacters(text)];
  if (width < 1) return "";
  return chars.length <= width ? chars.join("") : `${chars.slice(0, width - 1).join("")}…`;
}

/** The keys that do something in the terminal view. */
export const TERMINAL_ACTIONS: ReadonlySet<KeyAction> = new Set<KeyAction>([
  "quit",
  "pause",
  "snapshot",
  "record",
  "help",
]);

/** What a key read in raw mode asks for: an action, or Ctrl-C. */
export type TerminalKey = KeyAction | "interrupt";

/**
 * Turns bytes read from the terminal in raw mode into key actions, with
 * the call window's key table. Ctrl-C is `interrupt`; a lone Esc quits,
 * while an escape sequence (an arrow key, a function key, Alt+key) is
 * skipped whole; keys the terminal view has no use for are ignored.
 *
 * @param bytes One read's worth of input.
 * @returns The keys, in order.
 *
 * @example
 * ```ts
 * keysFrom(new Uint8Array([0x76, 0x1b, 0x5b, 0x41, 0x71])); // ["pause", "quit"] (v, Up, q)
 * ```
 */
export function keysFrom(bytes: Uint8Array): TerminalKey[] {
  const keys: TerminalKey[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === 0x03) {
      keys.push("interrupt");
      continue;
    }
    if (byte === 0x1b && i + 1 < bytes.length && bytes[i + 1] !== 0x1b) {
      i = endOfEscape(bytes, i);
      continue;
    }
    const action = actionForKey(byte);
    if (action !== undefined && TERMINAL_ACTIONS.has(action)) keys.push(action);
  }
  return keys;
}

// The index of the last byte of the escape sequence starting at `start`.
function endOfEscape(bytes: Uint8Array, start: number): number {
  const kind = bytes[start + 1]!;
  if (kind === 0x5b) { // CSI: parameters, then a final byte 0x40..0x7e
    let i = start + 2;
    while (i < bytes.length && !(bytes[i]! >= 0x40 && bytes[i]! <= 0x7e)) i++;
    return Math.min(i, bytes.length - 1);
  }
  if (kind === 0x4f) return Math.min(start + 2, bytes.length - 1); // SS3: one more byte
  return start + 1; // Alt+key
}
