/**
 * End-to-end benchmark: two real peercam processes on loopback, headless,
 * against GStreamer's equivalent pipeline and a native C++ loop doing the
 * same work, all in one run, at several sizes. Prints figures and ratios and
 * writes them to `bench/out/e2e.json`.
 *
 *     deno run -A bench/e2e.ts [--sizes 640x480,1280x720,1920x1080] [--frames 600]
 *                              [--quality 80] [--runs 3] [--source FILE] [--paced-seconds 10]
 *
 * Inputs are made from real footage (Debian's opencv-doc `vtest.avi`, or
 * `--source`) with ffmpeg: scaled to each size and stored as MJPEG AVI.
 *
 * Modes, per size:
 * - peercam as fast as possible (`--fps 0`, receiver `--source none`),
 *   re-encoding at `--quality` (the same work as the GStreamer pipeline:
 *   JPEG in, JPEG at that quality on the wire, BGR out), and with the
 *   source's own JPEG frames passed through (no `--quality`);
 * - GStreamer: `avidemux ! jpegdec ! videoconvert ! jpegenc` → TCP →
 *   `jpegparse ! jpegdec ! videoconvert` to BGR;
 * - native: one C++ loop through libpeercam (read, re-encode, decode) and
 *   one through OpenCV alone (read, imencode, imdecode);
 * - peercam paced at 30 fps both ways (a real call), `--runs` times: latency
 *   p50/p95/p99 of each direction and memory at the start and end of the
 *   call; the run reported is the median by the worse direction's p95.
 *
 * CPU per frame counts both processes, start-up included, for every tool.
 *
 * With `--pin`, every sender runs on CPU 0 and every receiver on CPU 1
 * (`taskset`), peercam and GStreamer alike. On virtual machines a thread
 * handoff between CPUs costs tens of microseconds, and peercam hands each
 * frame to a worker thread once per stage; see docs/PERFORMANCE.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import { FOOTAGE, footage } from "./_footage.ts";
import { buildNative, OUT, runJson } from "./_native.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    sizes: { type: "string", default: "640x480,1280x720,1920x1080" },
    frames: { type: "string", default: "600" },
    quality: { type: "string", default: "80" },
    runs: { type: "string", default: "3" },
    source: { type: "string", default: FOOTAGE },
    "paced-seconds": { type: "string", default: "10" },
    pin: { type: "boolean", default: false },
  },
});
const sizes = values.sizes.split(",").map((s) => s.split("x").map(Number) as [number, number]);
const frames = Number(values.frames);
const quality = Number(values.quality);
const runs = Number(values.runs);
const pacedSeconds = Number(values["paced-seconds"]);

interface Summary {
  frames_decoded: number;
  duration_s: number;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  latency_ms_p99: number | null;
  cpu_s: number | null;
  rss_peak_mb: number | null;
  decode_errors: number;
}

interface Result {
  fps: number;
  cpuMsPerFrame: number;
  cpuMsSender: number;
  cpuMsReceiver: number;
  latency?: [number | null, number | null, number | null];
  rssMb?: [number | null, number | null];
}

function need(tool: string, pkg: string): void {
  try {
    new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
  } catch {
    console.error(`bench: ${tool} is missing: sudo apt-get install ${pkg}`);
    Deno.exit(1);
  }
}

need("ffmpeg", "ffmpeg");
need("gst-launch-1.0", "gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad");
need("/usr/bin/time", "time");
need("g++", "g++");

function makeInput(w: number, h: number): Promise<string> {
  return footage([w, h], { frames, source: values.source });
}

const pinned = (cpu: number, cmd: string, args: string[]): [string, string[]] =>
  values.pin ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args];

function peercam(cpu: number, args: string[]): Deno.ChildProcess {
  const [cmd, all] = pinned(cpu, Deno.execPath(), [
    "run",
    "-A",
    `${ROOT}main.ts`,
    "--no-window",
    "--stats",
    "json",
    ...args,
  ]);
  return new Deno.Command(cmd, {
    args: all,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function summaryOf(
  child: Deno.ChildProcess,
): Promise<{ summary: Summary; lines: unknown[] }> {
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  const lines = text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const summary = lines.at(-1) as Summary;
  if (!out.success || !summary || (summary as { type?: string }).type !== "summary") {
    throw new Error(`peercam failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return { summary, lines };
}

async function peercamMax(clip: string, w: number, h: number, reencode: boolean): Promise<Result> {
  const port = freePort();
  const receiver = peercam(1, [
    "--listen",
    `127.0.0.1:${port}`,
    "--source",
    "none",
    "--frames",
    String(frames),
  ]);
  await new Promise((r) => setTimeout(r, 300));
  const sender = peercam(0, [
    "--peer",
    `127.0.0.1:${port}`,
    "--source",
    clip,
    "--size",
    `${w}x${h}`,
    "--fps",
    "0",
    ...(reencode ? ["--quality", String(quality)] : []),
  ]);
  const [r, s] = await Promise.all([summaryOf(receiver), summaryOf(sender)]);
  const decoded = r.summary.frames_decoded;
  if (r.summary.decode_errors > 0) throw new Error("decode errors in a benchmark run");
  return {
    fps: decoded / r.summary.duration_s,
    cpuMsSender: (s.summary.cpu_s! * 1000) / decoded,
    cpuMsReceiver: (r.summary.cpu_s! * 1000) / decoded,
    cpuMsPerFrame: ((s.summary.cpu_s! + r.summary.cpu_s!) * 1000) / decoded,
    latency: [r.summary.latency_ms_p50, r.summary.latency_ms_p95, r.summary.latency_ms_p99],
    rssMb: [s.summary.rss_peak_mb, r.summary.rss_peak_mb],
  };
}

async function peercamPaced(
  clip: string,
  w: number,
  h: number,
): Promise<Result & { rssFlat: string; latencyOther: Result["latency"]; worstP95: number }> {
  const port = freePort();
  const n = String(Math.round(pacedSeconds * 30));
  const common = [
    "--source",
    clip,
    "--size",
    `${w}x${h}`,
    "--fps",
    "30",
    "--quality",
    String(quality),
    "--frames",
    n,
  ];
  const a = peercam(1, ["--listen", `127.0.0.1:${port}`, ...common]);
  await new Promise((r) => setTimeout(r, 300));
  const b = peercam(0, ["--peer", `127.0.0.1:${port}`, ...common]);
  const [ra, rb] = await Promise.all([summaryOf(a), summaryOf(b)]);
  // Memory over the call, from the per-second lines: first full second vs last.
  const rss = (lines: unknown[]) =>
    lines.filter((l) => (l as { type: string }).type === "stats").map((l) =>
      (l as { rss_mb: number }).rss_mb
    );
  const ca = rss(ra.lines), cb = rss(rb.lines);
  const decoded = ra.summary.frames_decoded;
  return {
    fps: decoded / ra.summary.duration_s,
    cpuMsSender: (rb.summary.cpu_s! * 1000) / decoded,
    cpuMsReceiver: (ra.summary.cpu_s! * 1000) / decoded,
    cpuMsPerFrame: ((ra.summary.cpu_s! + rb.summary.cpu_s!) * 1000) / (2 * decoded),
    latency: [ra.summary.latency_ms_p50, ra.summary.latency_ms_p95, ra.summary.latency_ms_p99],
    latencyOther: [
      rb.summary.latency_ms_p50,
      rb.summary.latency_ms_p95,
      rb.summary.latency_ms_p99,
    ],
    worstP95: Math.max(
      ra.summary.latency_ms_p95 ?? Infinity,
      rb.summary.latency_ms_p95 ?? Infinity,
    ),
    rssMb: [ra.summary.rss_peak_mb, rb.summary.rss_peak_mb],
    rssFlat: `${ca[1] ?? ca[0]} → ${ca.at(-1)} MB / ${cb[1] ?? cb[0]} → ${cb.at(-1)} MB`,
  };
}

function timed(cpu: number, cmd: string, args: string[], timeFile: string): Deno.ChildProcess {
  const [c, a] = pinned(cpu, cmd, args);
  return new Deno.Command("/usr/bin/time", {
    args: ["-f", "%U %S %M", "-o", timeFile, c, ...a],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function gstreamer(clip: string): Promise<Result> {
  const port = freePort();
  const rt = `${OUT}/gst-recv.time`, st = `${OUT}/gst-send.time`;
  const receiver = timed(1, "gst-launch-1.0", [
    "tcpserversrc",
    "host=127.0.0.1",
    `port=${port}`,
    "!",
    "jpegparse",
    "!",
    "jpegdec",
    "!",
    "videoconvert",
    "!",
    "video/x-raw,format=BGR",
    "!",
    "fakesink",
    "sync=false",
  ], rt);
  await new Promise((r) => setTimeout(r, 300));
  const sender = timed(0, "gst-launch-1.0", [
    "filesrc",
    `location=${clip}`,
    "!",
    "avidemux",
    "!",
    "jpegdec",
    "!",
    "videoconvert",
    "!",
    "jpegenc",
    `quality=${quality}`,
    "!",
    "tcpclientsink",
    "host=127.0.0.1",
    `port=${port}`,
    "sync=false",
  ], st);
  const [so, ro] = await Promise.all([sender.output(), receiver.output()]);
  if (!so.success || !ro.success) {
    throw new Error(
      `GStreamer failed:\n${new TextDecoder().decode(so.stderr)}${
        new TextDecoder().decode(ro.stderr)
      }`,
    );
  }
  // The sender's running time, from PLAYING to end of stream: it cannot run
  // ahead of the receiver by more than the socket buffers.
  const m = /Execution ended after (\d+):(\d+):([\d.]+)/.exec(new TextDecoder().decode(so.stdout));
  if (!m) throw new Error("GStreamer did not report its running time");
  const seconds = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  const cpu = (file: string) => {
    const [u, s] = Deno.readTextFileSync(file).trim().split("\n").at(-1)!.split(" ").map(Number);
    return u! + s!;
  };
  const [cs, cr] = [cpu(st), cpu(rt)];
  return {
    fps: frames / seconds,
    cpuMsSender: (cs * 1000) / frames,
    cpuMsReceiver: (cr * 1000) / frames,
    cpuMsPerFrame: ((cs + cr) * 1000) / frames,
  };
}

interface NativeLoop {
  fps: number;
  total_ms_per_frame: number;
  read_ms: number;
  encode_ms: number;
  decode_ms: number;
}

function best<T>(results: T[], key: (r: T) => number, higher = true): T {
  return results.reduce((a, b) => (higher ? key(b) > key(a) : key(b) < key(a)) ? b : a);
}

async function repeat<T>(n: number, f: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

const fmt = (v: number | null | undefined, d = 1) =>
  v === null || v === undefined ? "-" : v.toFixed(d);
const cpuInfo = (await Deno.readTextFile("/proc/cpuinfo")).match(/model name\s*:\s*(.*)/)?.[1];
console.log(
  `peercam end-to-end benchmark: ${frames} frames of ${values.source}, JPEG quality ${quality}`,
);
console.log(
  `machine: ${navigator.hardwareConcurrency} cores, ${cpuInfo}; best of ${runs} runs each`,
);
console.log(`run: deno run -A bench/e2e.ts ${Deno.args.join(" ")}`.trimEnd());

console.log(values.pin ? "pinned: senders on CPU 0, receivers on CPU 1" : "not pinned");
const nativeLoop = await buildNative("native_loop");
const report: Record<string, unknown> = {};
for (const [w, h] of sizes) {
  const size = `${w}x${h}`;
  const clip = await makeInput(w, h);
  const pcReencode = await repeat(runs, () => peercamMax(clip, w, h, true));
  const pcPass = await repeat(runs, () => peercamMax(clip, w, h, false));
  const gst = await repeat(runs, () => gstreamer(clip));
  const nativeTranscode = await repeat(
    runs,
    () =>
      runJson<NativeLoop>(
        ...pinned(0, nativeLoop, ["transcode", clip, String(quality), String(frames)]),
      ),
  );
  const nativeOpencv = await repeat(
    runs,
    () =>
      runJson<NativeLoop>(
        ...pinned(0, nativeLoop, ["opencv", clip, String(quality), String(frames)]),
      ),
  );
  const pacedRuns = await repeat(runs, () => peercamPaced(clip, w, h));
  const pacedSorted = pacedRuns.toSorted((a, b) => a.worstP95 - b.worstP95);
  const paced = pacedSorted[Math.floor(pacedSorted.length / 2)]!;

  const byFps = (r: Result) => r.fps;
  const [re, pass, g] = [best(pcReencode, byFps), best(pcPass, byFps), best(gst, byFps)];
  const cpuBest = (rs: Result[]) => Math.min(...rs.map((r) => r.cpuMsPerFrame));
  const [reCpu, passCpu, gCpu] = [cpuBest(pcReencode), cpuBest(pcPass), cpuBest(gst)];
  const nt = best(nativeTranscode, (r) => r.fps), no = best(nativeOpencv, (r) => r.fps);

  console.log(`\n== ${size} ==`);
  console.log(
    "what                                     frames/s  CPU ms/frame (send+recv)  latency p50/p95/p99 ms  peak RSS MB (send/recv)",
  );
  const row = (name: string, r: Result, cpu: number) =>
    console.log(
      `${name.padEnd(40)} ${fmt(r.fps).padStart(8)}  ${fmt(cpu, 2).padStart(6)} (${
        fmt(r.cpuMsSender, 2)
      }+${fmt(r.cpuMsReceiver, 2)})`.padEnd(77) +
        `${r.latency ? r.latency.map((v) => fmt(v)).join("/") : "-"}`.padEnd(24) +
        `${r.rssMb ? r.rssMb.map((v) => fmt(v, 0)).join("/") : "-"}`,
    );
  row(`peercam, re-encoded at q${quality}`, re, reCpu);
  row("peercam, source JPEG passed through", pass, passCpu);
  row("GStreamer pipeline", g, gCpu);
  console.log(
    `${"native loop, libpeercam (read+re-encode+decode)".padEnd(40)} ${fmt(nt.fps).padStart(8)}  ${
      fmt(nt.total_ms_per_frame, 2).padStart(6)
    } (read ${fmt(nt.read_ms, 2)}, encode ${fmt(nt.encode_ms, 2)}, decode ${fmt(nt.decode_ms, 2)})`,
  );
  console.log(
    `${"native loop, OpenCV (read+imencode+imdecode)".padEnd(40)} ${fmt(no.fps).padStart(8)}  ${
      fmt(no.total_ms_per_frame, 2).padStart(6)
    } (read ${fmt(no.read_ms, 2)}, encode ${fmt(no.encode_ms, 2)}, decode ${fmt(no.decode_ms, 2)})`,
  );
  console.log(
    `paced call, 30 fps both ways, ${pacedSeconds} s (median of ${runs} runs by the worse ` +
      `direction's p95): ${fmt(paced.fps)} fps received, ` +
      `CPU ${fmt(paced.cpuMsSender, 2)}/${fmt(paced.cpuMsReceiver, 2)} ms per frame per process, ` +
      `latency p50/p95/p99 ${paced.latency!.map((v) => fmt(v)).join("/")} ms one way, ` +
      `${paced.latencyOther!.map((v) => fmt(v)).join("/")} ms the other, ` +
      `RSS ${paced.rssFlat}; worse p95 of each run ${
        pacedRuns.map((r) => fmt(r.worstP95)).join(", ")
      } ms`,
  );
  const budget = nt.encode_ms + nt.decode_ms + 5;
  console.log(
    `ratios: re-encode vs GStreamer: ${fmt(re.fps / g.fps, 2)}x frames/s, ${
      fmt(reCpu / gCpu, 2)
    }x CPU/frame; ` +
      `passthrough vs GStreamer: ${fmt(pass.fps / g.fps, 2)}x frames/s, ${
        fmt(passCpu / gCpu, 2)
      }x CPU/frame; ` +
      `re-encode vs native loop: ${fmt(re.fps / nt.fps, 2)}x frames/s, ${
        fmt(reCpu / nt.total_ms_per_frame, 2)
      }x CPU/frame; ` +
      `paced p95 latency ${fmt(paced.worstP95)} ms vs encode+decode+5 = ${fmt(budget)} ms`,
  );
  report[size] = {
    peercamReencode: pcReencode,
    peercamPassthrough: pcPass,
    gstreamer: gst,
    nativeTranscode,
    nativeOpencv,
    paced: pacedRuns,
  };
}
Deno.mkdirSync(OUT, { recursive: true });
const file = `${OUT}/e2e${values.pin ? "-pinned" : ""}.json`;
await Deno.writeTextFile(file, JSON.stringify(report, null, 2));
console.log(`\nwrote ${file}`);
