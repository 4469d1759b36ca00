/**
 * {@linkcode TerminalView}: the peer's video drawn in the terminal
 * (`--view terminal`) with libchafa — kitty or sixel images where the
 * terminal has them, Unicode symbols in colour otherwise — for SSH sessions
 * and machines without a display.
 *
 * A picture sink of the receive fan-out that only copies the newest frame;
 * drawing (on a pool thread) and writing happen on a timer at a capped
 * rate, and while one frame is still being drawn or written the next is
 * skipped, so a slow terminal never makes the call wait or queues output.
 * The last row is the status line. Keys are read in raw mode. The terminal
 * is given back on every way out: `close()`, and the process's `unload`
 * (`Deno.exit`, a second Ctrl-C).
 *
 * @module
 */

import type { CallView } from "./call_view.ts";
import type { HudInfo } from "./hud.ts";
import { formatStatsLine } from "../stats.ts";
import { type Frame, TerminalCanvas, ttySize } from "../../ffi/mod.ts";
import { withTimeout } from "../async.ts";
import { CallError, messageOf } from "../errors.ts";
import type { FrameInfo } from "../receive/fanout.ts";
import type { StatusLine } from "../terminal.ts";
import { type CardKind, cardText } from "./cards.ts";
import type { KeyAction } from "./keys.ts";
import {
  type CellSize,
  centredText,
  chooseMode,
  clearPictureArea,
  cursorTo,
  drawingCell,
  ENTER_SEQUENCE,
  fitPicture,
  keysFrom,
  type PictureLayout,
  restoreSequence,
  rowBreak,
  statusLine,
  type TermGraphics,
  terminalProblem,
  type TermMode,
} from "./terminal_screen.ts";

/** Most pictures drawn per second by default. */
export const TERMINAL_FPS = 15;

/** How long a status message stays on the status line before the live stats take it back, ms. */
export const STATUS_HOLD_MS = 4000;

/** A cell's size in pixels when the terminal does not report one. */
export const DEFAULT_CELL = { width: 10, height: 20 } as const;

/** How long `close()` waits for a write still in flight, ms. */
const WRITE_WAIT_MS = 500;

/** The status line's text while nothing else is shown. */
export const KEY_HINT = "q quit · v pause/resume your video · s snapshot · r record · ? keys";

/** Options for {@linkcode TerminalView}. */
export interface TerminalViewOptions {
  /** A drawing mode to force (`--term-graphics`); detected when absent. */
  graphics?: TermGraphics;
  /** The environment chafa detects the terminal from. */
  env: Record<string, string>;
  /** Most pictures per second (default {@linkcode TERMINAL_FPS}). */
  fps?: number;
  /** Keys for the call: quit, pause, snapshot, record. */
  onAction: (action: KeyAction) => void;
  /** Ctrl-C, read as a byte in raw mode (default: the process sends itself SIGINT, as the terminal would). */
  onInterrupt?: () => void;
  /** Called once the terminal has been given back. */
  onRestored?: () => void;
}

/** The peer's video in the terminal, and the keys read from it. */
export class TerminalView implements CallView, StatusLine, Disposable {
  #o: TerminalViewOptions;
  #canvas: TerminalCanvas;
  #mode: TermMode;
  #screen: CellSize;
  #cell: { width: number; height: number } = { ...DEFAULT_CELL };
  #timer: ReturnType<typeof setInterval>;
  #encoder = new TextEncoder();

  // The newest frame (back) and the one being drawn (front).
  #back = new Uint8Array(0);
  #front = new Uint8Array(0);
  #backSize = { width: 0, height: 0 };
  #frontSize = { width: 0, height: 0 };
  #fresh = false;

  #card: CardKind | null = "waiting";
  #peerName: string | null = null;
  #message: { text: string; at: number } | null = null;
  #live: string | null = null;
  #shownStatus = "";
  #clear = true;
  #layout: PictureLayout | null = null;
  #busy: Promise<void> | null = null;
  #closed = false;
  #restored = false;
  #onWinch = () => this.#resized();
  #onUnload = () => this.#restore();

  /** Frames kept and then replaced by a newer one before they were drawn. */
  skipped = 0;
  /** Pictures written to the terminal. */
  drawn = 0;

  /**
   * Takes the terminal over: checks it, loads libchafa, detects the mode,
   * switches to the alternate screen and raw mode, and starts the timer and
   * the key reader.
   *
   * @param options The forced mode, the environment and the call's key handlers.
   * @throws {CallError} When stdin or stdout is not a terminal, or TERM cannot host the view.
   * @throws {ShimLoadError} When libpeercam_chafa.so cannot be loaded.
   */
  constructor(options: TerminalViewOptions) {
    this.#o = options;
    if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
      throw new CallError(
        "--view terminal needs a terminal on stdin and stdout: " +
          "run it in a terminal, or use --view none to receive without showing video",
      );
    }
    const problem = terminalProblem(options.env);
    if (problem !== null) {
      throw new CallError(
        `--view terminal cannot draw here: ${problem} (set TERM, or use --view none)`,
      );
    }
    this.#canvas = new TerminalCanvas(options.env);
    this.#mode = chooseMode(options.env, {
      detected: this.#canvas.capabilities,
      forced: options.graphics,
    });
    this.#screen = this.#readSize();
    const fps = options.fps ?? TERMINAL_FPS;
    this.#timer = setInterval(() => this.#tick(), 1000 / fps);
    try {
      globalThis.addEventListener("unload", this.#onUnload);
      Deno.stdin.setRaw(true);
      Deno.addSignalListener("SIGWINCH", this.#onWinch);
      this.#writeSync(ENTER_SEQUENCE);
    } catch (error) {
      this.#restore();
      this.#canvas.close();
      throw new CallError(`--view terminal cannot take the terminal over: ${messageOf(error)}`, {
        cause: error,
      });
    }
    this.#readKeys().catch(() => {
      // The terminal went away; the call goes on (Ctrl-C or SIGTERM still end it).
    });
  }

  /** The drawing mode in use. */
  get mode(): TermMode {
    return { ...this.#mode };
  }

  /**
   * Keeps a copy of the peer's newest frame for the next tick; a frame
   * kept earlier and not drawn yet is dropped.
   */
  picture(frame: Frame, _info: FrameInfo): void {
    if (this.#closed) return;
    if (this.#card !== null) {
      this.#card = null;
      this.#clear = true;
    }
    const width = frame.width, height = frame.height;
    const bytes = width * height * 3;
    // A new buffer only when the frame size grows.
    if (this.#back.length < bytes) this.#back = new Uint8Array(bytes);
    frame.copyBGR(this.#back);
    this.#backSize = { width, height };
    if (this.#fresh) this.skipped++;
    this.#fresh = true;
  }

  /**
   * The peer is known (the cards name it).
   *
   * @param name The peer's name.
   * @param _secure Whether the call is encrypted (the status line says so at start).
   */
  setPeer(name: string, _secure?: boolean): void {
    this.#peerName = name;
    if (this.#card !== null) this.#clear = true;
  }

  /**
   * Shows a card instead of the video until the peer's next frame.
   *
   * @param kind Why there is no live video, or null.
   */
  setCard(kind: CardKind | null): void {
    if (kind === this.#card) return;
    this.#card = kind;
    this.#fresh = false;
    this.#clear = true;
  }

  /** Shows a status message on the status line for a while. */
  status(message: string): void {
    this.#message = { text: message, at: performance.now() };
  }

  /**
   * Takes the call's status: the once-a-second stats become the status
   * line's live text.
   *
   * @param info The changed fields.
   */
  update(info: Partial<HudInfo>): void {
    if (info.stats) this.live(formatStatsLine(info.stats));
  }

  /** Shows the live stats line on the status line (after any recent message). */
  live(line: string): void {
    this.#live = line;
  }

  #statusText(): string {
    const message = this.#message;
    if (message !== null && performance.now() - message.at < STATUS_HOLD_MS) return message.text;
    return this.#live ?? message?.text ?? KEY_HINT;
  }

  #readSize(): CellSize {
    const size = ttySize(1);
    if (size !== null && size.cols > 0 && size.rows > 0) {
      if (size.width > 0 && size.height > 0) {
        this.#cell = { width: size.width / size.cols, height: size.height / size.rows };
      }
      return { cols: size.cols, rows: size.rows };
    }
    const { columns, rows } = Deno.consoleSize();
    return { cols: columns, rows };
  }

  #resized(): void {
    if (this.#closed) return;
    this.#screen = this.#readSize();
    this.#clear = true;
    // Redraw the last frame at the new size.
    if (this.#card === null && this.#frontSize.width > 0 && !this.#fresh && this.#busy === null) {
      [this.#front, this.#back] = [this.#back, this.#front];
      [this.#frontSize, this.#backSize] = [this.#backSize, this.#frontSize];
      this.#fresh = true;
    }
  }

  #tick(): void {
    if (this.#closed || this.#busy !== null) return;
    const status = this.#statusText();
    if (!this.#fresh && !this.#clear && status === this.#shownStatus) return;
    this.#busy = this.#paint(status).catch((error) => {
      this.status(`Cannot draw in the terminal: ${messageOf(error)}`);
    }).finally(() => {
      this.#busy = null;
    });
  }

  async #paint(status: string): Promise<void> {
    // Taken now: a resize during the draw asks for another clear.
    const screen = this.#screen;
    const clear = this.#clear;
    this.#clear = false;
    let text = "";
    if (clear) {
      text += clearPictureArea(screen);
      if (this.#card !== null) text += centredText(cardText(this.#card, this.#peerName), screen);
    }
    let picture: Uint8Array | null = null;
    let at = "";
    if (this.#fresh && this.#card === null) {
      // The newest frame becomes the front; picture() fills the other buffer meanwhile.
      [this.#front, this.#back] = [this.#back, this.#front];
      [this.#frontSize, this.#backSize] = [this.#backSize, this.#frontSize];
      this.#fresh = false;
      const { width, height } = this.#frontSize;
      const layout = fitPicture(screen, { width, height, cell: this.#cell });
      if (!clear && !sameLayout(layout, this.#layout)) {
        // The frame's size changed: what the old picture covered goes.
        text += clearPictureArea(screen);
      }
      this.#layout = layout;
      if (layout !== null) {
        const cell = drawingCell(this.#mode.graphics, {
          cell: this.#cell,
          picture: layout,
          frame: { width, height },
        });
        this.#canvas.configure({
          ...this.#mode,
          cols: layout.cols,
          rows: layout.rows,
          cellWidth: cell.width,
          cellHeight: cell.height,
        });
        picture = await this.#canvas.draw(this.#front, {
          width,
          height,
          rowBreak: rowBreak(layout.left),
        });
        at = cursorTo(layout.left, layout.top);
      }
    }
    if (this.#closed) return;
    await this.#write(this.#encoder.encode(`${text}${at}`));
    if (picture !== null) {
      await this.#write(picture);
      this.drawn++;
    }
    this.#shownStatus = status;
    await this.#write(this.#encoder.encode(statusLine(status, screen)));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length && !this.#closed) {
      offset += await Deno.stdout.write(bytes.subarray(offset));
    }
  }

  #writeSync(text: string): void {
    const bytes = this.#encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }

  async #readKeys(): Promise<void> {
    const buffer = new Uint8Array(64);
    while (!this.#closed) {
      const n = await Deno.stdin.read(buffer);
      if (n === null || this.#closed) return;
      for (const key of keysFrom(buffer.subarray(0, n))) {
        if (key === "interrupt") this.#interrupt();
        else if (key === "help") this.status(KEY_HINT);
        else this.#o.onAction(key);
      }
    }
  }

  #interrupt(): void {
    if (this.#o.onInterrupt) {
      this.#o.onInterrupt();
      return;
    }
    try {
      // Raw mode turned Ctrl-C into a byte: raise the signal the terminal would have sent.
      Deno.kill(Deno.pid, "SIGINT");
    } catch {
      this.#o.onAction("quit"); // not allowed to signal: end the call all the same
    }
  }

  /**
   * Stops drawing, waits briefly for a write in flight, and gives the
   * terminal back. A second call does nothing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#busy !== null) await withTimeout(this.#busy, WRITE_WAIT_MS);
    this.#restore();
    this.#canvas.close();
  }

  // Synchronous, so that it also runs in `unload`.
  #restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    this.#closed = true;
    clearInterval(this.#timer);
    globalThis.removeEventListener("unload", this.#onUnload);
    try {
      Deno.removeSignalListener("SIGWINCH", this.#onWinch);
    } catch {
      // Already removed.
    }
    try {
      this.#writeSync(restoreSequence(this.#mode.graphics));
    } catch {
      // The terminal is gone.
    }
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // The terminal is gone.
    }
    this.#o.onRestored?.();
  }

  /** Gives the terminal back at once (without waiting for a write in flight). */
  [Symbol.dispose](): void {
    this.#restore();
    this.#canvas.close();
  }
}

function sameLayout(a: PictureLayout | null, b: PictureLayout | null): boolean {
  return a === b ||
    (a !== null && b !== null && a.cols === b.cols && a.rows === b.rows && a.left === b.left &&
      a.top === b.top);
}
