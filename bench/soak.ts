/**
 * Soak: a long call at 30 fps both ways (default 10 minutes, 1280x720,
 * real footage), with both peers' memory sampled every second from their
 * `--stats json` lines (kept in bench/out/soak-A.jsonl and soak-B.jsonl).
 * Prints a row per minute (RSS, JS heap, median per-second p95 latency of
 * each peer) and, from the third minute on, each peer's RSS range and trend
 * (least squares, MB per 10 minutes): a flat line is the target.
 *
 *     deno run -A bench/soak.ts [--minutes 10] [--size 1280x720]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import { footage } from "./_footage.ts";
import { OUT } from "./_native.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "10" },
    size: { type: "string", default: "1280x720" },
  },
});
const seconds = Math.round(Number(values.minutes) * 60);
const [w, h] = values.size.split("x");
const ROOT = new URL("..", import.meta.url).pathname;
const clip = await footage([Number(w), Number(h)], { frames: 795 });
Deno.mkdirSync(OUT, { recursive: true });

const port = freePort();
const common = [
  "--no-window",
  "--source",
  clip,
  "--size",
  `${w}x${h}`,
  "--fps",
  "30",
  "--quality",
  "80",
  "--duration",
  String(seconds),
  "--stats",
  "json",
];
const spawn = (args: string[]) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args, ...common],
    stdout: "piped",
    stderr: "null",
  }).spawn();
console.log(`soak: ${seconds} s call at ${w}x${h}, 30 fps both ways, quality 80`);
const a = spawn(["--listen", `127.0.0.1:${port}`]);
await new Promise((r) => setTimeout(r, 500));
const b = spawn(["--peer", `127.0.0.1:${port}`]);
const outputs = await Promise.all([a.output(), b.output()]);

const median = (xs: number[]) => {
  const s = xs.toSorted((x, y) => x - y);
  return s.length === 0 ? null : s[Math.floor(s.length / 2)]!;
};
// Least-squares slope of `ys` against their index, times `per`.
const slope = (ys: number[], per: number) => {
  const n = ys.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2, my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (ys[i]! - my);
    den += (i - mx) ** 2;
  }
  return (num / den) * per;
};
const peers = [];
for (const [i, out] of outputs.entries()) {
  const name = i === 0 ? "A" : "B";
  const text = new TextDecoder().decode(out.stdout);
  await Deno.writeTextFile(`${OUT}/soak-${name}.jsonl`, text);
  const lines = text.trim().split("\n").map((x) => JSON.parse(x));
  const stats = lines.filter((x) => x.type === "stats");
  peers.push({ name, stats, summary: lines.at(-1), code: out.code });
}
// One row per minute: RSS and JS heap at the minute's end, and the median of
// the minute's per-second p95 latencies (each second's own p95).
const minutes = Math.floor(Math.min(...peers.map((p) => p.stats.length)) / 60);
console.log("minute | RSS A MB | RSS B MB | heap A MB | heap B MB | p95 A ms | p95 B ms");
for (let m = 0; m < minutes; m++) {
  const cells = [String(m + 1)];
  for (const key of ["rss_mb", "heap_mb"]) {
    for (const p of peers) cells.push(String(p.stats[m * 60 + 59][key]));
  }
  for (const p of peers) {
    const p95 = p.stats.slice(m * 60, m * 60 + 60).map((x) => x.latency_ms_p95)
      .filter((x): x is number => x !== null);
    cells.push(String(median(p95)));
  }
  console.log(cells.join(" | "));
}
for (const p of peers) {
  // From the end of the second minute on (start-up and the first JIT done).
  const rss = p.stats.slice(120).map((x) => x.rss_mb as number);
  const s = p.summary;
  console.log(
    `peer ${p.name}: ` +
      (rss.length < 60
        ? "call too short for a memory trend; "
        : `RSS after the second minute ${Math.min(...rss)}–${Math.max(...rss)} MB, trend ${
          slope(rss, 600).toFixed(2)
        } MB per 10 min; `) +
      `call p50/p95/p99 ` +
      `${s.latency_ms_p50}/${s.latency_ms_p95}/${s.latency_ms_p99} ms; ` +
      `${s.frames_decoded} frames decoded, ${s.decode_errors} decode errors, exit ${p.code}`,
  );
}
