/**
 * `--demo`: two peers in one process, calling each other over loopback
 * with the synthetic test pattern. Needs no camera; opens two windows when a
 * display exists, otherwise shows the stats line.
 *
 * @module
 */

import { displayAvailable } from "./view/display.ts";
import type { Options } from "./cli.ts";
import { generateCode, normalizeCode } from "./net/secret.ts";
import { freePort } from "./net/ports.ts";
import { Session } from "./session.ts";
import type { Reporter } from "./terminal.ts";

/** How long the demo runs without `--duration`, in seconds. */
export const DEMO_SECONDS = 15;

/**
 * Runs the demo call to its end.
 *
 * @param options Parsed flags; `--listen`/`--peer` are chosen here.
 * @param reporter Where status and stats go.
 * @returns The exit status: 0 when both peers ended normally.
 * @throws {CallError} When either peer fails.
 */
export async function runDemo(options: Options, reporter: Reporter): Promise<number> {
  const port = freePort();
  const window = options.window && await displayAvailable();
  if (options.window && !window) {
    reporter.status("No display found: running headless and showing stats instead of windows");
  }
  const common: Options = {
    ...options,
    // The demo's two peers share a fresh code: the call is encrypted.
    code: options.code ?? normalizeCode(generateCode()),
    newCode: false,
    window,
    duration: options.duration ?? (options.frames === undefined ? DEMO_SECONDS : undefined),
  };
  const quiet: Reporter = { status: () => {}, live: () => {}, json: () => {} };
  const alice = new Session(
    { ...common, name: "Alice", listen: { hostname: "127.0.0.1", port }, peer: undefined },
    { ...quiet, status: (m) => reporter.status(m) },
    { windowAt: [0, 0] },
  );
  const bob = new Session(
    {
      ...common,
      name: "Bob",
      listen: undefined,
      peer: { hostname: "127.0.0.1", port },
      stats: options.stats ?? (window ? undefined : "text"),
      // Alice serves (--serve); one port cannot take two servers.
      serve: undefined,
    },
    { ...quiet, live: (l) => reporter.live(l), json: (v) => reporter.json(v) },
    { windowAt: [options.width + 20, 0] },
  );
  const stop = (): void => {
    alice.quit("Interrupted (Ctrl-C); ending the demo");
    bob.quit();
  };
  Deno.addSignalListener("SIGINT", stop);
  try {
    reporter.status(
      `Demo: two peers on 127.0.0.1:${port} sending the test pattern for ` +
        (common.duration !== undefined ? `${common.duration} s` : `${common.frames} frames`) +
        (window ? "; press q in a window to end" : "; Ctrl-C to end"),
    );
    const [a] = await Promise.all([alice.run(), bob.run()]);
    reporter.finish?.();
    reporter.status(`Demo finished: ${a.message}`);
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
  }
}
