/**
 * {@linkcode Terminal}: status messages and the live stats line on stderr,
 * JSON lines on stdout.
 *
 * @module
 */

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
}

const encoder = new TextEncoder();

/** The real terminal: stderr for people, stdout for `--stats json`. */
export class Terminal implements Reporter {
  #liveShown = false;
  #tty: boolean;

  /** @param tty Whether stderr is a terminal (live line updated in place). */
  constructor(tty: boolean = Deno.stderr.isTerminal()) {
    this.#tty = tty;
  }

  /** Prints a status line to stderr, above the live line. */
  status(message: string): void {
    this.#write(`${this.#clear()}peercam: ${message}\n`);
  }

  /** Updates the live line (a plain line when stderr is not a terminal). */
  live(line: string): void {
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
      writeAllSync(Deno.stdout, encoder.encode(`${JSON.stringify(value)}\n`));
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
