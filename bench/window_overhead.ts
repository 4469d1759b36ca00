/**
 * What the call window's extras cost: a paced 30 fps call both ways with a
 * real window on each side (under Xvfb), once with the self-view and the HUD
 * on (`--hud on`) and once with both off (`--no-self-view --hud off`),
 * alternating, `--runs` pairs. Reports each mode's median worse-direction
 * p95 latency and CPU per frame (both processes, start-up included) and the
 * differences, against the targets (at most +1 ms and +5 %). Writes
 * `bench/out/window_overhead.json`.
 *
 *     deno run -A bench/window_overhead.ts [--size 640x480] [--seconds 10] [--runs 3]
 *                                          [--off "--no-self-view --hud off"] [--on "--hud on"]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import { Xvfb } from "../tests/_x11.ts";
import { footage } from "./_footage.ts";
import { OUT } from "./_native.ts";
import { peercam, summaryOf } from "./_peercam.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "640x480" },
    seconds: { type: "string", default: "10" },
    runs: { type: "string", default: "3" },
    /** The flags of the two modes compared (to measure one extra alone). */
    off: { type: "string", default: "--no-self-view --hud off" },
    on: { type: "string", default: "--hud on" },
  },
});
const [w, h] = values.size.split("x").map(Number) as [number, number];
const frames = Math.round(Number(values.seconds) * 30);
const runs = Number(values.runs);

/** One paced call with windows; the worse direction's p95 and CPU per frame. */
async function call(
  x: Xvfb,
  y: Xvfb,
  clip: string,
  extras: string[],
): Promise<{ p95: number; cpuMs: number }> {
  const port = freePort();
  const common = [
    "--source",
    clip,
    "--size",
    `${w}x${h}`,
    "--fps",
    "30",
    "--quality",
    "80",
    "--frames",
    String(frames),
    ...extras,
  ];
  const a = peercam(["--listen", `127.0.0.1:${port}`, "--name", "A", ...common], x.env());
  await new Promise((r) => setTimeout(r, 500));
  const b = peercam(["--peer", `127.0.0.1:${port}`, "--name", "B", ...common], y.env());
  const [{ summary: sa }, { summary: sb }] = await Promise.all([summaryOf(a), summaryOf(b)]);
  return {
    p95: Math.max(sa.latency_ms_p95 ?? Infinity, sb.latency_ms_p95 ?? Infinity),
    cpuMs: ((sa.cpu_s! + sb.cpu_s!) * 1000) / (sa.frames_decoded + sb.frames_decoded),
  };
}

const median = (v: number[]): number => v.toSorted((a, b) => a - b)[Math.floor(v.length / 2)]!;
const fmt = (v: number, d = 2): string => v.toFixed(d);

const clip = await footage([w, h], { frames: 600 });
await using x = await Xvfb.start();
await using y = await Xvfb.start();
const modes = {
  off: values.off.split(" ").filter(Boolean),
  on: values.on.split(" ").filter(Boolean),
};
const results: Record<keyof typeof modes, Array<{ p95: number; cpuMs: number }>> = {
  off: [],
  on: [],
};
for (let i = 0; i < runs; i++) {
  for (const mode of ["off", "on"] as const) {
    const r = await call(x, y, clip, modes[mode]);
    results[mode].push(r);
    console.log(`run ${i + 1} ${mode}: worse p95 ${fmt(r.p95)} ms, CPU ${fmt(r.cpuMs)} ms/frame`);
  }
}
const p95 = {
  off: median(results.off.map((r) => r.p95)),
  on: median(results.on.map((r) => r.p95)),
};
const cpu = {
  off: median(results.off.map((r) => r.cpuMs)),
  on: median(results.on.map((r) => r.cpuMs)),
};
const dP95 = p95.on - p95.off;
const cpuRatio = cpu.on / cpu.off;
// Pair by pair (each "on" run against the "off" run just before it), which
// holds better when the machine's speed drifts during the benchmark.
const pairedP95 = median(results.on.map((r, i) => r.p95 - results.off[i]!.p95));
const pairedCpu = median(results.on.map((r, i) => r.cpuMs / results.off[i]!.cpuMs));
console.log(
  `\nwindow extras at ${w}x${h}, 30 fps both ways, ${values.seconds} s, median of ${runs} runs:` +
    `\n  worse-direction p95: off ${fmt(p95.off)} ms, self-view+HUD on ${fmt(p95.on)} ms ` +
    `(${dP95 >= 0 ? "+" : ""}${fmt(dP95)} ms; target at most +1 ms: ${
      dP95 <= 1 ? "met" : "NOT met"
    })` +
    `\n  CPU per frame (both processes): off ${fmt(cpu.off)} ms, on ${fmt(cpu.on)} ms ` +
    `(${fmt(cpuRatio, 3)}x; target at most 1.05x: ${cpuRatio <= 1.05 ? "met" : "NOT met"})` +
    `\n  pair by pair (median): p95 ${pairedP95 >= 0 ? "+" : ""}${fmt(pairedP95)} ms, ` +
    `CPU ${fmt(pairedCpu, 3)}x`,
);
Deno.mkdirSync(OUT, { recursive: true });
Deno.writeTextFileSync(
  `${OUT}/window_overhead.json`,
  JSON.stringify(
    { size: values.size, seconds: Number(values.seconds), results, p95, cpu, pairedP95, pairedCpu },
    null,
    2,
  ),
);
