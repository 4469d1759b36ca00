/**
 * Running peercam itself in a benchmark: a process with `--stats json`,
 * and the summary it prints at the end.
 *
 * @module
 */

import type { StatsSummary } from "../src/stats.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * Starts `deno run -A main.ts --stats json ...args`.
 *
 * @param args peercam's other flags.
 * @param env Its environment (e.g. `DISPLAY`), added to this process's.
 * @returns The running process, stdout and stderr piped.
 */
export function peercam(args: string[], env?: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, "--stats", "json", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Waits for a peercam process and returns its final summary.
 *
 * @param child A process from {@linkcode peercam}.
 * @returns The summary, and what it wrote to stderr.
 * @throws {Error} With its stderr when it failed or printed no summary.
 */
export async function summaryOf(
  child: Deno.ChildProcess,
): Promise<{ summary: StatsSummary; err: string }> {
  const out = await child.output();
  const err = new TextDecoder().decode(out.stderr);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").filter(Boolean);
  const summary = JSON.parse(lines.at(-1) ?? "{}") as StatsSummary;
  if (!out.success || summary.type !== "summary") throw new Error(`peercam failed:\n${err}`);
  return { summary, err };
}
