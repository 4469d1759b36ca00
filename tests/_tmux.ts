/**
 * Test helper: a real tmux server on a private socket, one detached session
 * whose pane runs a shell script, so tests see what a terminal user sees.
 *
 * @module
 */

import { delay } from "../src/async.ts";
import { run } from "./_tools.ts";

/** One tmux session (120x40 by default) on its own server. */
export class TmuxPane {
  readonly socket: string;
  #socketPath = "";

  private constructor(socket: string) {
    this.socket = socket;
  }

  /**
   * Starts a server and a session running `script` with `sh`.
   *
   * @param script The pane's shell script.
   * @param size Columns and rows.
   * @returns The pane.
   */
  static async start(script: string, size = { cols: 120, rows: 40 }): Promise<TmuxPane> {
    const pane = new TmuxPane(`peercam-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
    await pane.tmux(
      "new-session",
      "-d",
      "-x",
      String(size.cols),
      "-y",
      String(size.rows),
      "sh",
      "-c",
      script,
    );
    pane.#socketPath = await pane.display("#{socket_path}");
    return pane;
  }

  /** Runs a tmux command against this server and returns its output. */
  tmux(...args: string[]): Promise<string> {
    return run("tmux", ["-L", this.socket, "-f", "/dev/null", ...args]);
  }

  /** The screen with its SGR escapes (`capture-pane -e -p`), one string per row. */
  async capture(): Promise<string[]> {
    return (await this.tmux("capture-pane", "-e", "-p")).split("\n");
  }

  /** A tmux format about the pane, e.g. `#{alternate_on}`. */
  async display(format: string): Promise<string> {
    return (await this.tmux("display-message", "-p", format)).trim();
  }

  /** Types keys into the pane (tmux key names, e.g. `q`, `C-c`). */
  async sendKeys(...keys: string[]): Promise<void> {
    await this.tmux("send-keys", ...keys);
  }

  /** Stops the server and everything in it, and removes its socket. */
  async kill(): Promise<void> {
    try {
      await this.tmux("kill-server");
    } catch {
      // Already gone.
    }
    if (this.#socketPath === "") return;
    try {
      await Deno.remove(this.#socketPath);
    } catch {
      // tmux removed it.
    }
  }
}

/**
 * Polls `check` every 100 ms until it returns a value other than undefined.
 *
 * @param what Named in the error.
 * @param check The probe.
 * @param timeoutMs How long to try.
 * @returns What `check` returned.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(100);
  }
}
