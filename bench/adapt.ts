/**
 * Rate-control benchmark: two real peercam processes in a call, both
 * directions sending 640x480 at 30 fps, quality ceiling 80, headless, through
 * the userspace link emulator (tests/_link_emulator.ts: rate cap, one-way
 * delay and bottleneck queue, the same shape on both directions). For the
 * test pattern (`--source test`) and for real footage (Debian opencv-doc's
 * `vtest.avi` scaled to 640x480, see bench/_footage.ts). Every figure is per
 * direction ("a→b": what `a`, the listener, sent and `b` received), taken
 * from the `--stats json` lines of both peers.
 *
 *     deno run -A bench/adapt.ts [--footage test|vtest|both] [--seconds 20]
 *                                [--only SCENARIO] [--profile-scale 0.5] [--runs 3]
 *
 * Scenarios (`--only` takes the name):
 *
 * - `steady`: 2 Mbit/s, 20 ms one-way, 64 KiB queue, `--seconds` long; the
 *   median over the steady seconds (after a warm-up) of each second's p95
 *   and decoded fps, adaptive (target ≤ 100 ms at ≥ 25 fps) and with
 *   `--no-adapt` (the old fixed 3-frame window; issue #10's baseline was
 *   155–170 ms at 17 fps).
 * - `cap-appears`: uncapped with 20 ms one-way for 6 s, then 2 Mbit/s: the
 *   time from the cap until every later one-second window's p95 is ≤ 100 ms
 *   (target ≤ 2 s), and the worst window after the cap.
 * - `cap-lifts`: 2 Mbit/s for 10 s, then uncapped: the time from the lift
 *   until the sender's lines show the ceiling (quality 80, 640x480, 30 fps)
 *   and the receiver's decoded fps is ≥ 28, each for good (target ≤ 3 s).
 * - `low`: 1 Mbit/s (target ≥ 15 fps, p95 ≤ 150 ms) and 500 kbit/s (the
 *   call goes on: frames every second; latency bounded: p95 ≤ 300 ms, a
 *   bound this benchmark chose), 20 ms one-way, 64 KiB queue.
 * - `loopback`: no emulator, adaptive and `--no-adapt` alternately, `--runs`
 *   calls of 10 s each: p95 and CPU per frame (both processes' summary
 *   cpu_s over their frames sent plus decoded, start-up included); adaptive
 *   passes unless it is worse than both no-adapt's worst run and no-adapt's
 *   median plus 10 %.
 * - `rfc8867`: RFC 8867 §5.1 (variable available capacity, a single flow):
 *   1 Mbit/s for 40 s, 2.5 for 20 s, 0.6 for 20 s, 1.0 for 20 s, every
 *   duration times `--profile-scale`; 50 ms one-way; the bottleneck queue
 *   holds 300 ms at the current capacity. Writes per-second CSV (capacity,
 *   target, received, p95, and what the sender chose) and a PNG plot
 *   (gnuplot) to `bench/out/adapt_rfc8867_<footage>.{csv,png}`.
 *
 * Recovery times come from the once-a-second stats lines, so each is an
 * upper bound with 1 s resolution: the end of the last bad window, or of
 * the first window in which the ceiling held.
 *
 * The real footage is sent re-encoded at `--quality 80` (the default value,
 * given explicitly): without the flag a JPEG file at the call's size is sent
 * as stored, and the ceiling would be the file's own quality, not 80.
 *
 * Prints a table (each figure with its target, PASS or MISS), and writes it
 * with every call's per-second lines to `bench/out/adapt.json` (with
 * `--only S`, `adapt-S.json`). A miss is a
 * result; the exit status is non-zero only when a peer failed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { delay } from "../src/async.ts";
import type { StatsLine, StatsSummary } from "../src/stats.ts";
import { LinkEmulator, type PipeShape } from "../tests/_link_emulator.ts";
import { Peer } from "../tests/_peer.ts";
import { freePort } from "../tests/_tools.ts";
import { footage } from "./_footage.ts";
import { OUT } from "./_native.ts";
import { haveGnuplot, plotRateProfile } from "./_plot.ts";

const SCENARIOS = ["steady", "cap-appears", "cap-lifts", "low", "loopback", "rfc8867"] as const;
type Scenario = typeof SCENARIOS[number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    footage: { type: "string", default: "both" },
    seconds: { type: "string", default: "20" },
    only: { type: "string" },
    "profile-scale": { type: "string", default: "0.5" },
    runs: { type: "string", default: "3" },
  },
});

function usage(message: string): never {
  console.error(`bench/adapt.ts: ${message}`);
  Deno.exit(2);
}

const footages = values.footage === "both"
  ? ["test", "vtest"] as const
  : values.footage === "test" || values.footage === "vtest"
  ? [values.footage] as const
  : usage(`--footage is test, vtest or both, not ${values.footage}`);
const steadySeconds = Number(values.seconds);
if (!(steadySeconds >= 8)) usage("--seconds must be at least 8 (5 s of warm-up are left out)");
const profileScale = Number(values["profile-scale"]);
if (!(profileScale > 0)) usage("--profile-scale must be a positive number");
const runs = Number(values.runs);
if (!(Number.isInteger(runs) && runs >= 1)) usage("--runs must be a whole number ≥ 1");
if (values.only !== undefined && !SCENARIOS.includes(values.only as Scenario)) {
  usage(`--only is one of ${SCENARIOS.join(", ")}`);
}
const scenarios: readonly Scenario[] = values.only ? [values.only as Scenario] : SCENARIOS;

/** Seconds at the start of a call left out of "steady" medians. */
const WARMUP_S = 5;
const KIB64 = 64 * 1024;
const LOOPBACK_SECONDS = 10;
const CALL = ["--no-window", "--stats", "json", "--size", "640x480", "--fps", "30"];
const QUALITY = 80;

type Footage = typeof footages[number];

// --- processes, and cleaning up after them on every path ------------------

/** Every peer and emulator running now, for Ctrl-C. */
const live = { peers: new Set<Peer>(), links: new Set<LinkEmulator>() };

function signal(peer: Peer, sig: Deno.Signal): void {
  try {
    peer.child.kill(sig);
  } catch {
    // Already gone.
  }
}

Deno.addSignalListener("SIGINT", async () => {
  console.error("\nbench/adapt.ts: interrupted; stopping the peers");
  for (const peer of live.peers) signal(peer, "SIGINT");
  const killer = setTimeout(() => {
    for (const peer of live.peers) signal(peer, "SIGKILL");
  }, 3000);
  await Promise.allSettled([...live.peers].map((p) => p.child.status));
  clearTimeout(killer);
  await Promise.allSettled([...live.links].map((l) => l.close()));
  Deno.exit(130);
});

/** A peer that exited with an error or wrote no summary. */
class PeerFailed extends Error {}

/** One call's output. */
interface Call {
  /** When both peers said they were in the call (ms since the epoch). */
  start: number;
  /** When they were told to stop. */
  end: number;
  /** Times the `during` callback noted (shape changes). */
  marks: Record<string, number>;
  /** The stats lines of the listener (a) and the dialer (b), within [start, end]. */
  lines: { a: StatsLine[]; b: StatsLine[] };
  summaries: { a: StatsSummary; b: StatsSummary };
}

/**
 * Runs a call between a listener `a` and a dialer `b` (through an emulator
 * when `shape` is given); `during` runs while it lasts and may reshape it.
 */
async function call(
  source: string[],
  shape: PipeShape | null,
  extra: string[],
  during: (link: LinkEmulator | null, mark: (name: string) => void) => Promise<void>,
): Promise<Call> {
  const flags = [...CALL, ...source, ...extra];
  const port = freePort();
  const peers: Peer[] = [];
  let link: LinkEmulator | null = null;
  const marks: Record<string, number> = {};
  let start = 0, end = 0;
  const spawn = (args: string[]) => {
    const peer = new Peer(args);
    peers.push(peer);
    live.peers.add(peer);
    return peer;
  };
  let error: unknown;
  try {
    const a = spawn(["--listen", `127.0.0.1:${port}`, ...flags, "--name", "a"]);
    await a.waitFor("Waiting for the peer", 30000);
    if (shape) {
      link = LinkEmulator.start({
        target: { hostname: "127.0.0.1", port },
        up: { ...shape },
        down: { ...shape },
      });
      live.links.add(link);
    }
    const b = spawn(["--peer", link?.address ?? `127.0.0.1:${port}`, ...flags, "--name", "b"]);
    await Promise.all([a.waitFor("In a call", 30000), b.waitFor("In a call", 30000)]);
    start = Date.now();
    await during(link, (name) => marks[name] = Date.now());
    end = Date.now();
  } catch (e) {
    error = e;
  }
  for (const peer of peers) signal(peer, "SIGINT");
  const codes = await Promise.all(peers.map((p) => p.exit(20000).catch(() => -1)));
  await link?.close();
  if (link) live.links.delete(link);
  for (const peer of peers) live.peers.delete(peer);
  const bad = codes.findIndex((c) => c !== 0);
  if (bad >= 0) {
    throw new PeerFailed(
      `peer ${"ab"[bad]} exited with ${codes[bad]}:\n${peers[bad]!.stderr.slice(-3000)}`,
    );
  }
  // A peer that never got into the call (it hung, or the other failed) is a failure too.
  if (error) throw new PeerFailed(error instanceof Error ? error.message : String(error));
  const [a, b] = peers as [Peer, Peer];
  const parse = (peer: Peer, name: string) => {
    const all = peer.json();
    const summary = all.find((l): l is StatsSummary => l.type === "summary");
    if (!summary) throw new PeerFailed(`peer ${name} wrote no summary:\n${peer.stderr}`);
    const lines = all.filter((l): l is StatsLine =>
      l.type === "stats" && Date.parse(l.time) > start && Date.parse(l.time) <= end
    );
    return { summary, lines };
  };
  const pa = parse(a, "a"), pb = parse(b, "b");
  return {
    start,
    end,
    marks,
    lines: { a: pa.lines, b: pb.lines },
    summaries: { a: pa.summary, b: pb.summary },
  };
}

/** One direction of a call: the sender's lines and the receiver's. */
interface Direction {
  name: "a→b" | "b→a";
  sender: StatsLine[];
  receiver: StatsLine[];
}

function directions(c: Call): Direction[] {
  return [
    { name: "a→b", sender: c.lines.a, receiver: c.lines.b },
    { name: "b→a", sender: c.lines.b, receiver: c.lines.a },
  ];
}

// --- figures ---------------------------------------------------------------

const at = (l: StatsLine) => Date.parse(l.time);
const p95Of = (l: StatsLine) => l.latency_ms_p95 ?? Infinity;

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The lines of the steady part: from the warm-up's end on. */
function steady(lines: StatsLine[], start: number): StatsLine[] {
  return lines.filter((l) => at(l) - 1000 >= start + WARMUP_S * 1000);
}

/** The commonest thing the sender was doing, e.g. "q55 640x480 30fps". */
function sending(lines: StatsLine[]): string {
  const counts = new Map<string, number>();
  for (const l of lines) {
    const k = `q${l.send_quality} ${l.send_width}x${l.send_height} ${l.send_fps}fps`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].sort((x, y) => y[1] - x[1])[0]?.[0] ?? "-";
}

const fmt = (v: number, digits = 0) =>
  Number.isFinite(v) ? v.toFixed(digits) : v === Infinity ? "none" : "-";

// --- the table ---------------------------------------------------------------

type Status = "PASS" | "MISS" | "info" | "FAIL";

interface Row {
  footage: Footage;
  scenario: string;
  direction: string;
  metric: string;
  value: string;
  target: string;
  status: Status;
  /** What the sender did, to read a miss by. */
  note?: string;
}

const rows: Row[] = [];
const details: Record<string, unknown> = {};
let failed = false;

function row(r: Row): void {
  rows.push(r);
  const note = r.note ? `  (${r.note})` : "";
  console.error(
    `  ${r.footage} ${r.scenario} ${r.direction} ${r.metric}: ${r.value} [${r.target}] ${r.status}${note}`,
  );
}

const check = (ok: boolean): Status => ok ? "PASS" : "MISS";

/**
 * A frame rate compared at 0.1 fps: a second's window lasts a little over
 * 1 s, so 15 frames in it can read 14.98 fps.
 */
const fpsAtLeast = (fps: number, min: number) => Math.round(fps * 10) / 10 >= min;

function keep(name: string, c: Call): void {
  details[name] = {
    start: new Date(c.start).toISOString(),
    end: new Date(c.end).toISOString(),
    marks: Object.fromEntries(
      Object.entries(c.marks).map(([k, v]) => [k, new Date(v).toISOString()]),
    ),
    lines: c.lines,
    summaries: c.summaries,
  };
}

// --- scenarios ---------------------------------------------------------------

async function steadyCall(
  f: Footage,
  source: string[],
  scenario: string,
  kbps: number,
  extra: string[],
  targets: { p95?: number; fps?: number },
): Promise<void> {
  const shape = { kbps, delayMs: 20, queueBytes: KIB64 };
  const c = await call(source, shape, extra, () => delay(steadySeconds * 1000));
  keep(`${f}/${scenario}`, c);
  const figures = directions(c).map((d) => {
    const rx = steady(d.receiver, c.start), tx = steady(d.sender, c.start);
    return {
      direction: d.name as string,
      p95: median(rx.map(p95Of)),
      fps: median(rx.map((l) => l.decoded_fps)),
      note: `${sending(tx)}, target ${fmt(median(tx.map((l) => l.target_kbps ?? NaN)))}` +
        ` kbit/s, received ${fmt(median(rx.map((l) => l.received_kbps)))} kbit/s`,
    };
  });
  // Overall: the worse direction; the notes give each receiver's whole-call p95 (warm-up included).
  const whole = [c.summaries.b, c.summaries.a].map((s) => fmt(s.latency_ms_p95 ?? NaN, 1));
  figures.push({
    direction: "both",
    p95: Math.max(...figures.map((x) => x.p95)),
    fps: Math.min(...figures.map((x) => x.fps)),
    note: `worse direction; whole-call p95 a→b ${whole[0]}, b→a ${whole[1]} ms`,
  });
  for (const x of figures) {
    const base = { footage: f, scenario, direction: x.direction };
    row({
      ...base,
      metric: "p95 ms",
      value: fmt(x.p95, 1),
      target: targets.p95 ? `≤ ${targets.p95}` : "-",
      status: targets.p95 ? check(x.p95 <= targets.p95) : "info",
      note: x.note,
    });
    row({
      ...base,
      metric: "fps",
      value: fmt(x.fps, 1),
      target: targets.fps ? `≥ ${targets.fps}` : "-",
      status: targets.fps ? check(fpsAtLeast(x.fps, targets.fps)) : "info",
    });
  }
}

async function steadyScenario(f: Footage, source: string[]): Promise<void> {
  await steadyCall(f, source, "steady 2M", 2000, [], { p95: 100, fps: 25 });
  await steadyCall(f, source, "steady 2M no-adapt", 2000, ["--no-adapt"], {});
}

async function capAppears(f: Footage, source: string[]): Promise<void> {
  const after = 10_000;
  const c = await call(
    source,
    { kbps: null, delayMs: 20, queueBytes: KIB64 },
    [],
    async (link, mark) => {
      await delay(6000);
      link!.shape("both", { kbps: 2000 });
      mark("cap");
      await delay(after);
    },
  );
  keep(`${f}/cap-appears`, c);
  const capAt = c.marks.cap!;
  for (const d of directions(c)) {
    const later = d.receiver.filter((l) => at(l) > capAt);
    const bad = later.filter((l) => p95Of(l) > 100);
    const lastBad = bad.at(-1);
    const stillBad = lastBad !== undefined && lastBad === later.at(-1);
    const recovery = lastBad ? (at(lastBad) - capAt) / 1000 : 0;
    const worst = Math.max(...later.map(p95Of));
    const base = { footage: f, scenario: "cap appears", direction: d.name };
    const tx = d.sender.filter((l) => at(l) > capAt);
    row({
      ...base,
      metric: "recovery s",
      value: stillBad ? `> ${fmt(after / 1000)}` : fmt(recovery, 1),
      target: "≤ 2",
      status: check(!stillBad && recovery <= 2),
      note: `${bad.length} windows over 100 ms; then ${sending(tx)}`,
    });
    row({ ...base, metric: "max p95 ms", value: fmt(worst, 1), target: "-", status: "info" });
  }
}

async function capLifts(f: Footage, source: string[]): Promise<void> {
  const after = 8000;
  const c = await call(
    source,
    { kbps: 2000, delayMs: 20, queueBytes: KIB64 },
    [],
    async (link, mark) => {
      await delay(10_000);
      link!.shape("both", { kbps: null });
      mark("lift");
      await delay(after);
    },
  );
  keep(`${f}/cap-lifts`, c);
  const liftAt = c.marks.lift!;
  // The first line after the lift from which `ok` holds to the end.
  const settled = (lines: StatsLine[], ok: (l: StatsLine) => boolean) => {
    const later = lines.filter((l) => at(l) > liftAt);
    let first: number | undefined;
    for (const l of later) {
      if (!ok(l)) first = undefined;
      else first ??= at(l);
    }
    return first === undefined ? Infinity : (first - liftAt) / 1000;
  };
  for (const d of directions(c)) {
    const setting = settled(
      d.sender,
      (l) =>
        l.send_quality === QUALITY && l.send_width === 640 && l.send_height === 480 &&
        l.send_fps === 30,
    );
    const fps = settled(d.receiver, (l) => fpsAtLeast(l.decoded_fps, 28));
    const recovery = Math.max(setting, fps);
    const before = d.sender.filter((l) => at(l) <= liftAt && at(l) > liftAt - 3000);
    row({
      footage: f,
      scenario: "cap lifts",
      direction: d.name,
      metric: "to ceiling s",
      value: Number.isFinite(recovery) ? fmt(recovery, 1) : `> ${fmt(after / 1000)}`,
      target: "≤ 3",
      status: check(recovery <= 3),
      note: `setting ${fmt(setting, 1)} s, fps ≥ 28 ${fmt(fps, 1)} s; capped: ${sending(before)}`,
    });
  }
}

async function low(f: Footage, source: string[]): Promise<void> {
  await steadyCall(f, source, "1M", 1000, [], { p95: 150, fps: 15 });
  const shape = { kbps: 500, delayMs: 20, queueBytes: KIB64 };
  const c = await call(source, shape, [], () => delay(steadySeconds * 1000));
  keep(`${f}/500k`, c);
  for (const d of directions(c)) {
    const rx = steady(d.receiver, c.start), tx = steady(d.sender, c.start);
    const p95 = median(rx.map(p95Of));
    const fps = median(rx.map((l) => l.decoded_fps));
    const minFps = Math.min(...rx.map((l) => l.decoded_fps));
    const base = { footage: f, scenario: "500k", direction: d.name };
    row({
      ...base,
      metric: "p95 ms",
      value: fmt(p95, 1),
      target: "≤ 300",
      status: check(p95 <= 300),
      note: `worst second ${fmt(Math.max(...rx.map(p95Of)), 1)} ms; ${sending(tx)}, ` +
        `target ${fmt(median(tx.map((l) => l.target_kbps ?? NaN)))} kbit/s`,
    });
    row({
      ...base,
      metric: "fps (min)",
      value: `${fmt(fps, 1)} (${fmt(minFps, 1)})`,
      target: "min > 0",
      status: check(minFps > 0 && rx.length > 0),
    });
  }
}

async function loopback(f: Footage, source: string[]): Promise<void> {
  type Mode = "adaptive" | "no-adapt";
  const results: Record<Mode, Array<{ p95: number; cpuMs: number }>> = {
    adaptive: [],
    "no-adapt": [],
  };
  for (let i = 0; i < runs; i++) {
    const order: Mode[] = i % 2 === 0 ? ["adaptive", "no-adapt"] : ["no-adapt", "adaptive"];
    for (const mode of order) {
      const extra = mode === "adaptive" ? [] : ["--no-adapt"];
      const c = await call(source, null, extra, () => delay(LOOPBACK_SECONDS * 1000));
      keep(`${f}/loopback/${mode}/${i}`, c);
      const p95 = Math.max(
        ...directions(c).map((d) => median(steady(d.receiver, c.start).map(p95Of))),
      );
      const { a, b } = c.summaries;
      const frames = a.frames_sent + a.frames_decoded + b.frames_sent + b.frames_decoded;
      const cpuMs = ((a.cpu_s ?? NaN) + (b.cpu_s ?? NaN)) * 1000 / frames;
      results[mode].push({ p95, cpuMs });
      console.error(
        `  ${f} loopback ${mode} run ${i + 1}: p95 ${fmt(p95, 1)} ms, ` +
          `CPU ${fmt(cpuMs, 2)} ms/frame`,
      );
    }
  }
  for (
    const [metric, key, digits, floor] of [
      ["p95 ms (worse dir)", "p95", 1, 2],
      ["CPU ms/frame", "cpuMs", 2, 0],
    ] as const
  ) {
    const of = (mode: Mode) => results[mode].map((r) => r[key]);
    const base = median(of("no-adapt")), adaptive = median(of("adaptive"));
    const limit = Math.max(...of("no-adapt"), base * 1.1, base + floor);
    const runsText = (mode: Mode) => of(mode).map((v) => fmt(v, digits)).join("/");
    row({
      footage: f,
      scenario: "loopback",
      direction: "both",
      metric,
      value: `${fmt(adaptive, digits)} vs ${fmt(base, digits)}`,
      target: `≤ ${fmt(limit, digits)}`,
      status: check(adaptive <= limit),
      note: `adaptive ${runsText("adaptive")}, no-adapt ${runsText("no-adapt")}`,
    });
  }
}

/** RFC 8867 §5.1's capacity profile: [seconds, kbit/s]. */
const PROFILE: Array<[number, number]> = [[40, 1000], [20, 2500], [20, 600], [20, 1000]];
/** The bottleneck queue, as time at the current capacity. */
const PROFILE_QUEUE_MS = 300;

async function rfc8867(f: Footage, source: string[]): Promise<void> {
  const phases = PROFILE.map(([s, kbps]) => ({ seconds: s * profileScale, kbps }));
  const queueFor = (kbps: number) => Math.round(kbps * 1000 / 8 * PROFILE_QUEUE_MS / 1000);
  const first = phases[0]!.kbps;
  const c = await call(
    source,
    { kbps: first, delayMs: 50, queueBytes: queueFor(first) },
    [],
    async (link, mark) => {
      for (const [i, phase] of phases.entries()) {
        if (i > 0) {
          link!.shape("both", { kbps: phase.kbps, queueBytes: queueFor(phase.kbps) });
          mark(`phase${i}`);
        }
        await delay(phase.seconds * 1000);
      }
    },
  );
  keep(`${f}/rfc8867`, c);
  // Capacity steps, seconds since the call started, at the times they happened.
  const steps: Array<[number, number]> = phases.map((p, i) => [
    i === 0 ? 0 : (c.marks[`phase${i}`]! - c.start) / 1000,
    p.kbps,
  ]);
  const duration = (c.end - c.start) / 1000;
  const capacityAt = (t: number) => steps.filter(([s]) => s <= t).at(-1)![1];
  const rel = (l: StatsLine) => (at(l) - c.start) / 1000;
  const nearest = (lines: StatsLine[], t: number) => {
    let best: StatsLine | undefined;
    for (const l of lines) {
      if (
        Math.abs(rel(l) - t) <= 0.5 && (!best || Math.abs(rel(l) - t) < Math.abs(rel(best) - t))
      ) {
        best = l;
      }
    }
    return best;
  };
  const dirs = directions(c);
  const perDir = [
    "target_kbps",
    "sent_kbps",
    "received_kbps",
    "latency_ms_p95",
    "decoded_fps",
    "send_quality",
    "send_width",
    "send_fps",
    "capacity_est_kbps",
    "queue_delay_ms",
  ];
  const tag = (d: Direction) => d.name === "a→b" ? "ab" : "ba";
  const header = [
    "t_s",
    "capacity_kbps",
    ...dirs.flatMap((d) => perDir.map((k) => `${k}_${tag(d)}`)),
  ];
  const csv = [header.join(",")];
  const num = (v: number | null | undefined) => v === null || v === undefined ? "NaN" : String(v);
  for (let t = 1; t <= Math.floor(duration); t++) {
    const cells = [String(t), String(capacityAt(t - 0.5))];
    for (const d of dirs) {
      const tx = nearest(d.sender, t), rx = nearest(d.receiver, t);
      cells.push(
        num(tx?.target_kbps),
        num(tx?.sent_kbps),
        num(rx?.received_kbps),
        num(rx?.latency_ms_p95),
        num(rx?.decoded_fps),
        num(tx?.send_quality),
        num(tx?.send_width),
        num(tx?.send_fps),
        num(tx?.capacity_kbps),
        num(tx?.queue_delay_ms),
      );
    }
    csv.push(cells.join(","));
  }
  const csvPath = `${OUT}/adapt_rfc8867_${f}.csv`;
  const pngPath = `${OUT}/adapt_rfc8867_${f}.png`;
  Deno.writeTextFileSync(csvPath, csv.join("\n") + "\n");
  const label = f === "test" ? "test pattern" : "vtest.avi";
  await plotRateProfile({
    csv: csvPath,
    png: pngPath,
    title: `RFC 8867 §5.1 variable capacity, ${label}, 640x480 30 fps q≤80, ` +
      `50 ms one-way, both directions (durations x${profileScale})`,
    capacity: { steps, end: duration },
    rates: [
      { column: "target_kbps_ab", title: "a→b target", colour: "#1f77b4", dashed: true },
      { column: "received_kbps_ab", title: "a→b received", colour: "#1f77b4" },
      { column: "target_kbps_ba", title: "b→a target", colour: "#ff7f0e", dashed: true },
      { column: "received_kbps_ba", title: "b→a received", colour: "#ff7f0e" },
    ],
    latency: [
      { column: "latency_ms_p95_ab", title: "a→b p95", colour: "#1f77b4" },
      { column: "latency_ms_p95_ba", title: "b→a p95", colour: "#ff7f0e" },
    ],
  });
  console.error(`  wrote ${csvPath} and ${pngPath}`);
  // Per phase (its first 2 s left out): how much of the capacity arrived, and the latency.
  for (const [i, [from, kbps]] of steps.entries()) {
    const to = steps[i + 1]?.[0] ?? duration;
    for (const d of dirs) {
      const rx = d.receiver.filter((l) => rel(l) - 1 >= from + 2 && rel(l) <= to);
      const tx = d.sender.filter((l) => rel(l) - 1 >= from + 2 && rel(l) <= to);
      const received = median(rx.map((l) => l.received_kbps));
      row({
        footage: f,
        scenario: `rfc8867 ${kbps / 1000}M`,
        direction: d.name,
        metric: "received, p95",
        value: `${fmt(received)} kbit/s (${fmt(received / kbps * 100)} %), ` +
          `${fmt(median(rx.map(p95Of)), 1)} ms`,
        target: "-",
        status: "info",
        note: `${fmt(to - from, 1)} s; ${sending(tx)}, ` +
          `target ${fmt(median(tx.map((l) => l.target_kbps ?? NaN)))} kbit/s`,
      });
    }
  }
}

const RUN: Record<Scenario, (f: Footage, source: string[]) => Promise<void>> = {
  steady: steadyScenario,
  "cap-appears": capAppears,
  "cap-lifts": capLifts,
  low,
  loopback,
  rfc8867,
};

// --- main ------------------------------------------------------------------

if (scenarios.includes("rfc8867") && !haveGnuplot()) {
  console.error("bench/adapt.ts: gnuplot is missing: sudo apt-get install gnuplot-nox");
  Deno.exit(1);
}
Deno.mkdirSync(OUT, { recursive: true });
const t0 = performance.now();
for (const f of footages) {
  const source = f === "test"
    ? ["--source", "test", "--quality", String(QUALITY)]
    : ["--source", await footage([640, 480], { frames: 600 }), "--quality", String(QUALITY)];
  for (const scenario of scenarios) {
    console.error(`${f}: ${scenario}`);
    try {
      await RUN[scenario](f, source);
    } catch (error) {
      if (!(error instanceof PeerFailed)) throw error;
      failed = true;
      console.error(`  ${error.message}`);
      row({
        footage: f,
        scenario,
        direction: "-",
        metric: "call",
        value: "peer failed",
        target: "-",
        status: "FAIL",
      });
    }
  }
}
const wallS = (performance.now() - t0) / 1000;

const header: Array<[string, keyof Row]> = [
  ["footage", "footage"],
  ["scenario", "scenario"],
  ["dir", "direction"],
  ["metric", "metric"],
  ["value", "value"],
  ["target", "target"],
  ["", "status"],
  ["sender / notes", "note"],
];
const widths = header.map(([title, key], i) =>
  i === header.length - 1
    ? 0
    : Math.max(title.length, ...rows.map((r) => String(r[key] ?? "").length))
);
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
console.log(
  `peercam rate control: 640x480, 30 fps, quality ≤ ${QUALITY}, both directions; ` +
    `steady runs ${steadySeconds} s (first ${WARMUP_S} s left out), p95 = median of per-second p95`,
);
console.log(line(header.map(([title]) => title)));
for (const r of rows) console.log(line(header.map(([, key]) => String(r[key] ?? ""))));
const misses = rows.filter((r) => r.status === "MISS").length;
const passes = rows.filter((r) => r.status === "PASS").length;
console.log(`${passes} pass, ${misses} miss${failed ? ", a peer failed" : ""}; ${fmt(wallS)} s`);
Deno.writeTextFileSync(
  `${OUT}/adapt${values.only ? `-${values.only}` : ""}.json`,
  JSON.stringify({ options: values, wallS, rows, calls: details }, null, 1) + "\n",
);
Deno.exit(failed ? 1 : 0);
