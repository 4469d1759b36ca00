/**
 * {@linkcode Terminal}: status messages and the live stats line on stderr,
 * JSON lines on stdout (or in `--stats-file`).
 *
 * @module
 */

import { CallError, fileErrorReason } from "./errors.ts";

/** Where a session reports to. Tests substitute their own. */
export interface Reporter {
  /** A status message, one line (e.g. "Waiting for the peer ..."). */
  status(message: string): void;
  /** The live stats line, replaced in place on a terminal. */
  live(line: string): void;
  /** One machine-readable object, as a JSON line on stdout. */
  json(value: unknown): void;
  /** Ends the live line, if one is shown. */
  finish?(): void;
  /**
   * While a full-screen view owns the terminal (`--view terminal`), sends
   * status and live lines to its status line instead (`null` stops that).
   */
  route?(line: StatusLine | null): void;
}

/** A one-line status display that status and live lines can be routed to. */
export interface StatusLine {
  /** Shows a status message. */
  status(message: string): void;
  /** Shows the live stats line. */
  live(line: string): void;
}

/** Most status messages kept while routed, to print once the view is gone. */
export const HELD_MESSAGES = 100;

const encoder = new TextEncoder();

/** The real terminal: stderr for people, stdout for `--stats json`. */
export class Terminal implements Reporter {
  #liveShown = false;
  #tty: boolean;
  #route: StatusLine | null = null;
  #held: string[] = [];
  #jsonSink: { writeSync(p: Uint8Array): number } = Deno.stdout;

  /**
   * Writes the json lines to a file of their own instead of stdout
   * (`--stats-file`), created or emptied now.
   *
   * @param path The file.
   * @throws {CallError} When it cannot be written.
   */
  jsonTo(path: string): void {
    try {
      this.#jsonSink = Deno.openSync(path, { write: true, create: true, truncate: true });
    } catch (error) {
      throw new CallError(`Cannot write --stats-file "${path}": ${fileErrorReason(error)}`, {
        cause: error,
      });
    }
  }

  /** @param tty Whether stderr is a terminal (live line updated in place). */
  constructor(tty: boolean = Deno.stderr.isTerminal()) {
    this.#tty = tty;
  }

  /**
   * Sends status and live lines to `line` until called with null; then
   * prints the status messages it was sent (the last
   * {@linkcode HELD_MESSAGES}) to stderr, so they outlast the view.
   *
   * @param line The view's status line, or null.
   */
  route(line: StatusLine | null): void {
    if (line !== null) {
      this.finish();
      this.#route = line;
      return;
    }
    if (this.#route === null) return;
    this.#route = null;
    const held = this.#held;
    this.#held = [];
    for (const message of held) this.status(message);
  }

  /** Prints a status line to stderr, above the live line (or routes it). */
  status(message: string): void {
    if (this.#route !== null) {
      this.#held.push(message);
      if (this.#held.length > HELD_MESSAGES) this.#held.shift();
      this.#route.status(message);
      return;
    }
    this.#write(`${this.#clear()}peercam: ${message}\n`);
  }

  /** Updates the live line (a plain line when stderr is not a terminal). */
  live(line: string): void {
    if (this.#route !== null) {
      this.#route.live(line);
      return;
    }
    if (this.#tty) {
      this.#write(`\r\x1b[K${line}`);
      this.#liveShown = true;
    } else {
      this.#write(`${line}\n`);
    }
  }

  /** Writes a JSON line to stdout. */
  json(value: unknown): void {
    try {
      writeAllSync(this.#jsonSink, encoder.encode(`${JSON.stringify(value)}\n`));
    } catch (error) {
      // A reader that went away (`| head`) is not the call's problem.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
    }
  }

  /** Ends the live line so the shell prompt starts on a fresh line. */
  finish(): void {
    if (this.#liveShown) this.#write("\n");
    this.#liveShown = false;
  }

  #clear(): string {
    if (!this.#liveShown) return "";
    this.#liveShown = false;
    return "\r\x1b[K";
  }

  #write(text: string): void {
    try {
      writeAllSync(Deno.stderr, encoder.encode(text));
    } catch {
      // stderr closed: nothing sensible left to do.
    }
  }
}

function writeAllSync(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += w.writeSync(bytes.subarray(off));
}
