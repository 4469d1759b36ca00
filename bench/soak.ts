/**
 * Soak: a long call at 30 fps both ways (default 10 minutes, 1280x720,
 * real footage), with both peers' memory sampled every second from their
 * `--stats json` lines (kept in bench/out/soak-A.jsonl and soak-B.jsonl).
 * Prints the growth from the first minute to the end; a flat line is the
 * target.
 *
 *     deno run -A bench/soak.ts [--minutes 10] [--size 1280x720]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort, OUT } from "./_native.ts";

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
const clip = `${OUT}/soak-${w}x${h}.avi`;
Deno.mkdirSync(OUT, { recursive: true });
await new Deno.Command("ffmpeg", {
  args: [
    "-v",
    "error",
    "-y",
    "-i",
    "/usr/share/doc/opencv-doc/examples/data/vtest.avi",
    "-vf",
    `scale=${w}:${h}`,
    "-c:v",
    "mjpeg",
    "-q:v",
    "3",
    clip,
  ],
}).output();

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

for (const [i, out] of outputs.entries()) {
  const text = new TextDecoder().decode(out.stdout);
  await Deno.writeTextFile(`${OUT}/soak-${i === 0 ? "A" : "B"}.jsonl`, text);
  const lines = text.trim().split("\n").map((x) => JSON.parse(x));
  const stats = lines.filter((x) => x.type === "stats");
  const rss = stats.map((x) => x.rss_mb as number);
  const p95 = stats.map((x) => x.latency_ms_p95 as number | null).filter((x): x is number =>
    x !== null
  );
  const at = (s: number) => rss[Math.min(rss.length - 1, s)]!;
  const summary = lines.at(-1);
  const minute = Math.min(60, rss.length - 1);
  console.log(
    `peer ${i === 0 ? "A" : "B"}: RSS ${at(1)} MB at 1 s, ${at(minute)} MB at ${minute} s, ` +
      `${at(rss.length - 1)} MB at the end: growth after the first minute ` +
      `${(at(rss.length - 1) - at(minute)).toFixed(1)} MB; ` +
      `p95 latency first/last minute ${Math.max(...p95.slice(0, 60))}/${
        Math.max(...p95.slice(-60))
      } ms; ` +
      `${summary.frames_decoded} frames decoded, ${summary.decode_errors} decode errors, ` +
      `exit ${out.code}`,
  );
}
