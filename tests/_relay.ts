/**
 * Test helper: a real magic-wormhole transit relay process
 * (`twist3 transitrelay`, Debian package `magic-wormhole-transit-relay`).
 *
 * @module
 */

import { delay } from "../src/async.ts";
import { freePort } from "./_tools.ts";

/** A running transit relay on loopback. */
export class TransitRelay implements AsyncDisposable {
  readonly port: number;
  #child: Deno.ChildProcess;

  private constructor(port: number, child: Deno.ChildProcess) {
    this.port = port;
    this.#child = child;
  }

  /**
   * Starts `twist3 transitrelay --port=tcp:PORT` and waits until it accepts
   * connections.
   *
   * @param port The port; a free one by default (pass the old one to restart).
   * @returns The running relay.
   * @throws {Error} When twist3 is not installed or the relay does not come up in 10 s.
   */
  static async start(port: number = freePort()): Promise<TransitRelay> {
    let child;
    try {
      child = new Deno.Command("twist3", {
        args: ["transitrelay", `--port=tcp:${port}:interface=127.0.0.1`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error(
          "twist3 is not installed: run the README's test command, which installs " +
            "magic-wormhole-transit-relay",
        );
      }
      throw error;
    }
    const relay = new TransitRelay(port, child);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return relay;
      } catch {
        await delay(100);
      }
    }
    await relay.kill();
    throw new Error(`the transit relay did not start on port ${port}`);
  }

  /** The relay's process id (for its CPU time in /proc). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Kills the relay at once (SIGKILL), as a crash would, and waits for it to go. */
  async kill(): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
  }
}
