/**
 * What the terminal view costs a call: a paced 30 fps call both ways (real
 * footage), the listening side inside a real terminal (tmux, 120x40),
 * alternating `--view terminal` and `--view none` there, `--runs` pairs.
 * Reports that side's p95 capture-to-display latency (its picture sink runs
 * on the display path) and its CPU per frame (chafa draws on a pool thread
 * of the same process), from the json stats it writes with `--stats-file`.
 * Writes `bench/out/terminal_call.json`.
 *
 *     deno run -A bench/terminal_call.ts [--size 640x480] [--seconds 8] [--runs 3]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import type { StatsSummary } from "../src/stats.ts";
import { TmuxPane } from "../tests/_tmux.ts";
import { footage } from "./_footage.ts";
import { OUT } from "./_native.ts";
import { peercam, summaryOf } from "./_peercam.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "640x480" },
    seconds: { type: "string", default: "8" },
    runs: { type: "string", default: "3" },
  },
});
const [w, h] = values.size.split("x").map(Number) as [number, number];
const frames = Math.round(Number(values.seconds) * 30);
const runs = Number(values.runs);

/** One call; the terminal side's p95 and CPU per frame. */
async function call(
  clip: string,
  view: "terminal" | "none",
): Promise<{ p95: number; cpuMs: number }> {
  const port = freePort();
  const common = ["--source", clip, "--size", `${w}x${h}`, "--fps", "30", "--quality", "80"];
  const dir = await Deno.makeTempDir();
  const stats = `${dir}/a.jsonl`;
  const args = [
    "run",
    "-A",
    `${ROOT}main.ts`,
    "--listen",
    `127.0.0.1:${port}`,
    "--view",
    view,
    "--stats-file",
    stats,
    "--frames",
    String(frames),
    ...common,
  ];
  const quoted = [Deno.execPath(), ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  const pane = await TmuxPane.start(
    `TERM=xterm-256color ${quoted.join(" ")} 2>${dir}/a.err; echo $? > ${dir}/a.code`,
  );
  try {
    await new Promise((r) => setTimeout(r, 700));
    const b = peercam([
      "--peer",
      `127.0.0.1:${port}`,
      "--no-window",
      ...common,
      "--frames",
      String(frames),
    ]);
    await summaryOf(b);
    for (let i = 0; i < 100; i++) {
      try {
        Deno.statSync(`${dir}/a.code`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const lines = Deno.readTextFileSync(stats).trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.at(-1) as StatsSummary;
    if (summary.type !== "summary") {
      throw new Error(`no summary: ${Deno.readTextFileSync(`${dir}/a.err`)}`);
    }
    return {
      p95: summary.latency_ms_p95 ?? Infinity,
      cpuMs: (summary.cpu_s! * 1000) / summary.frames_decoded,
    };
  } finally {
    await pane.kill();
    await Deno.remove(dir, { recursive: true });
  }
}

const median = (v: number[]): number => v.toSorted((a, b) => a - b)[Math.floor(v.length / 2)]!;
const fmt = (v: number, d = 2): string => v.toFixed(d);

const clip = await footage([w, h], { frames: 600 });
type Run = { p95: number; cpuMs: number };
const results: Record<"none" | "terminal", Run[]> = { none: [], terminal: [] };
for (let i = 0; i < runs; i++) {
  for (const view of ["none", "terminal"] as const) {
    const r = await call(clip, view);
    results[view].push(r);
    console.log(`run ${i + 1} --view ${view}: p95 ${fmt(r.p95)} ms, CPU ${fmt(r.cpuMs)} ms/frame`);
  }
}
const pairedP95 = median(results.terminal.map((r, i) => r.p95 - results.none[i]!.p95));
const pairedCpu = median(results.terminal.map((r, i) => r.cpuMs / results.none[i]!.cpuMs));
console.log(
  `\nterminal view at ${w}x${h}, 30 fps both ways, ${values.seconds} s, ${runs} pairs: ` +
    `p95 none ${fmt(median(results.none.map((r) => r.p95)))} ms, terminal ${
      fmt(median(results.terminal.map((r) => r.p95)))
    } ms (pair by pair ${pairedP95 >= 0 ? "+" : ""}${fmt(pairedP95)} ms); ` +
    `CPU per frame none ${fmt(median(results.none.map((r) => r.cpuMs)))} ms, terminal ${
      fmt(median(results.terminal.map((r) => r.cpuMs)))
    } ms (pair by pair ${fmt(pairedCpu, 3)}x)`,
);
Deno.mkdirSync(OUT, { recursive: true });
Deno.writeTextFileSync(
  `${OUT}/terminal_call.json`,
  JSON.stringify({ size: values.size, results, pairedP95, pairedCpu }, null, 2),
);
