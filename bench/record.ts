/**
 * What recording costs the call: a paced 30 fps call both ways (real
 * footage, headless), once without and once with `--record` on the
 * listening side (both tracks), alternating, `--runs` pairs. Reports the
 * recording side's p95 latency (its packet sink runs on the display path,
 * so the cost of handing frames to the writer shows there) and its CPU per
 * frame, against the target (at most +0.5 ms p95); then the main thread's
 * own cost per frame, timing `Recording.offer()` in this process on a
 * paced 30 fps stream of the same footage's JPEGs. Writes `bench/out/record.json`.
 *
 *     deno run -A bench/record.ts [--size 640x480] [--seconds 8] [--runs 3]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import { Recording, RING_BYTES } from "../src/record/recording.ts";
import { footage } from "./_footage.ts";
import { OUT } from "./_native.ts";
import { peercam, summaryOf } from "./_peercam.ts";

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

/** One paced call; the recording side's p95 and CPU per frame. */
async function call(clip: string, record: string | null): Promise<{ p95: number; cpuMs: number }> {
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
  ];
  const limit = ["--frames", String(frames)];
  const extra = record === null ? [] : ["--record", record];
  const a = peercam(["--listen", `127.0.0.1:${port}`, ...common, ...limit, ...extra]);
  await new Promise((r) => setTimeout(r, 500));
  const b = peercam(["--peer", `127.0.0.1:${port}`, ...common, ...limit]);
  const [ra] = await Promise.all([summaryOf(a), summaryOf(b)]);
  if (record !== null && !ra.err.includes("Saved the recording")) {
    throw new Error(`no recording made:\n${ra.err}`);
  }
  const s = ra.summary;
  return { p95: s.latency_ms_p95 ?? Infinity, cpuMs: (s.cpu_s! * 1000) / s.frames_decoded };
}

const median = (v: number[]): number => v.toSorted((a, b) => a - b)[Math.floor(v.length / 2)]!;
const pct = (v: number[], p: number): number =>
  v.toSorted((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * p))]!;
const fmt = (v: number, d = 2): string => v.toFixed(d);

const clip = await footage([w, h], { frames: 600 });
const dir = await Deno.makeTempDir({ prefix: "peercam-bench-record-" });
const results: Record<"off" | "on", Array<{ p95: number; cpuMs: number }>> = { off: [], on: [] };
for (let i = 0; i < runs; i++) {
  for (const mode of ["off", "on"] as const) {
    const r = await call(clip, mode === "on" ? `${dir}/run${i}.mkv` : null);
    results[mode].push(r);
    console.log(`run ${i + 1} ${mode}: p95 ${fmt(r.p95)} ms, CPU ${fmt(r.cpuMs)} ms/frame`);
  }
}

// The main thread's part alone: copy and hand over each frame, paced at 30 fps.
const jpegDir = `${dir}/jpegs`;
await Deno.mkdir(jpegDir);
await new Deno.Command("ffmpeg", {
  args: [
    "-v",
    "error",
    "-i",
    clip,
    "-frames:v",
    "300",
    "-c:v",
    "copy",
    "-f",
    "image2",
    `${jpegDir}/%04d.jpg`,
  ],
}).output();
const jpegs = [...Deno.readDirSync(jpegDir)].map((e) => e.name).sort().map((n) =>
  Deno.readFileSync(`${jpegDir}/${n}`)
);
const offerPath = `${dir}/offer.mkv`;
await Deno.writeFile(offerPath, new Uint8Array(0));
const recording = await Recording.open(offerPath, { tracks: 2, onFailed: (m) => console.error(m) });
const offerMs: number[] = [];
for (const [i, jpeg] of jpegs.entries()) {
  for (const track of [0, 1]) {
    const t0 = performance.now();
    recording.offer(track, jpeg, Date.now());
    offerMs.push(performance.now() - t0);
  }
  await new Promise((r) => setTimeout(r, 1000 / 30 - (i % 3 === 0 ? 0.3 : 0)));
}
const result = await recording.close();

const p95 = {
  off: median(results.off.map((r) => r.p95)),
  on: median(results.on.map((r) => r.p95)),
};
const cpu = {
  off: median(results.off.map((r) => r.cpuMs)),
  on: median(results.on.map((r) => r.cpuMs)),
};
const pairedP95 = median(results.on.map((r, i) => r.p95 - results.off[i]!.p95));
const dP95 = p95.on - p95.off;
const offer = { p50: pct(offerMs, 0.5), p95: pct(offerMs, 0.95), max: Math.max(...offerMs) };
const meanBytes = jpegs.reduce((n, j) => n + j.length, 0) / jpegs.length;
console.log(
  `\nrecording at ${w}x${h}, 30 fps both ways, ${values.seconds} s, median of ${runs} runs ` +
    `(recording side):` +
    `\n  p95 latency: off ${fmt(p95.off)} ms, --record ${fmt(p95.on)} ms ` +
    `(${dP95 >= 0 ? "+" : ""}${fmt(dP95)} ms; pair by pair ${pairedP95 >= 0 ? "+" : ""}${
      fmt(pairedP95)
    } ms; target at most +0.5 ms: ${Math.max(dP95, pairedP95) <= 0.5 ? "met" : "NOT met"})` +
    `\n  CPU per frame: off ${fmt(cpu.off, 3)} ms, --record ${fmt(cpu.on, 3)} ms ` +
    `(+${fmt(cpu.on - cpu.off, 3)} ms, ${fmt(cpu.on / cpu.off, 3)}x)` +
    `\n  Recording.offer() on the main thread, ${jpegs.length} frames x 2 tracks of ` +
    `${Math.round(meanBytes / 1024)} KiB: p50 ${fmt(offer.p50 * 1000, 0)} µs, ` +
    `p95 ${fmt(offer.p95 * 1000, 0)} µs, max ${fmt(offer.max * 1000, 0)} µs; ` +
    `written ${result.frames.join("+")}, skipped ${result.skipped} (ring of ${
      RING_BYTES >> 20
    } MiB)`,
);
Deno.mkdirSync(OUT, { recursive: true });
Deno.writeTextFileSync(
  `${OUT}/record.json`,
  JSON.stringify(
    { size: values.size, seconds: Number(values.seconds), results, p95, cpu, pairedP95, offer },
    null,
    2,
  ),
);
await Deno.remove(dir, { recursive: true });
