/**
 * `--serve`'s cost: a paced call (two real peercam processes on loopback,
 * 30 fps both ways, headless), the listening peer with `--serve`. Within
 * the one call, phases of `--phase` seconds alternate: no client, then ten
 * MJPEG clients reading `/stream` as fast as they can (`curl`, each its own
 * process, like ten browser tabs), and so on. Per phase: the serving
 * process's CPU (from /proc, so start-up is left out), the call's latency
 * p95 each direction (from both peers' once-a-second `--stats json` lines),
 * and what the clients got. Alternating in one call keeps the two cases
 * under the same machine load.
 *
 *     deno run -A bench/serve.ts [--size 1280x720] [--phase 5] [--pairs 3] [--clients 10]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import type { StatsLine } from "../src/stats.ts";

const ROOT = new URL("..", import.meta.url).pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "1280x720" },
    phase: { type: "string", default: "5" },
    pairs: { type: "string", default: "3" },
    clients: { type: "string", default: "10" },
  },
});
const phaseS = Number(values.phase);
const pairs = Number(values.pairs);
const clientCount = Number(values.clients);
const TICK_S = 0.01; // USER_HZ on Linux

function peer(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_S; // utime + stime
}

async function waitForWeb(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/snapshot`);
      await r.body?.cancel();
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("The server never had a frame");
}

function statsLines(stdout: Uint8Array): StatsLine[] {
  return new TextDecoder().decode(stdout).trim().split("\n").map((l) => JSON.parse(l))
    .filter((l) => l.type === "stats");
}

interface Phase {
  clients: number;
  from: number;
  to: number;
  cpuS: number;
  bytes: number;
}

const callPort = freePort();
const web = freePort();
const warmupS = 3;
const totalS = warmupS + pairs * 2 * phaseS + 2;
const common = [
  ...["--no-window", "--source", "test", "--size", values.size, "--fps", "30"],
  ...["--stats", "json", "--duration", String(totalS)],
];
const alice = peer(["--listen", `127.0.0.1:${callPort}`, ...common, "--serve", String(web)]);
const bob = peer(["--peer", `127.0.0.1:${callPort}`, ...common]);
const outputs = Promise.all([alice.output(), bob.output()]);
await waitForWeb(web);
await new Promise((r) => setTimeout(r, warmupS * 1000));
const phases: Phase[] = [];
for (let i = 0; i < pairs * 2; i++) {
  const clients = i % 2 === 0 ? 0 : clientCount;
  const from = Date.now();
  const cpu0 = await cpuSeconds(alice.pid);
  const curls = Array.from({ length: clients }, () =>
    new Deno.Command("curl", {
      args: [
        ...["-s", "-o", "/dev/null", "-w", "%{size_download}", "--max-time", String(phaseS)],
        `http://127.0.0.1:${web}/stream`,
      ],
      stdout: "piped",
      stderr: "null",
    }).output());
  await new Promise((r) => setTimeout(r, phaseS * 1000));
  const done = await Promise.all(curls);
  const cpu1 = await cpuSeconds(alice.pid);
  const bytes = done.reduce((sum, o) => sum + (Number(new TextDecoder().decode(o.stdout)) || 0), 0);
  phases.push({ clients, from, to: Date.now(), cpuS: cpu1 - cpu0, bytes });
}
const [a, b] = await outputs;
const lines = [...statsLines(a.stdout), ...statsLines(b.stdout)];

function summary(clients: number): Record<string, number> {
  const ps = phases.filter((p) => p.clients === clients);
  const secs = ps.reduce((s, p) => s + (p.to - p.from) / 1000, 0);
  // A stats line covers the second before its time: keep those wholly inside a phase.
  const inPhase = lines.filter((l) => {
    const t = Date.parse(l.time);
    return ps.some((p) => t - 1000 >= p.from && t <= p.to);
  });
  const p95s = inPhase.map((l) => l.latency_ms_p95).filter((v): v is number => v !== null)
    .sort((x, y) => x - y);
  const median = p95s[Math.floor(p95s.length / 2)] ?? NaN;
  const worst = p95s.at(-1) ?? NaN;
  return {
    clients,
    server_cpu_ms_per_s: +(ps.reduce((s, p) => s + p.cpuS, 0) / secs * 1000).toFixed(1),
    p95_ms_median_of_seconds: median,
    p95_ms_worst_second: worst,
    decoded_fps: +(inPhase.reduce((s, l) => s + l.decoded_fps, 0) / (inPhase.length || 1))
      .toFixed(1),
    mb_per_s_per_client: clients
      ? +(ps.reduce((s, p) => s + p.bytes, 0) / clients / secs / 1e6).toFixed(2)
      : 0,
  };
}

const idle = summary(0);
const busy = summary(clientCount);
console.log(JSON.stringify(
  {
    size: values.size,
    phase_s: phaseS,
    pairs,
    idle,
    busy,
    server_cpu_ms_per_s_per_client: +(
      (busy.server_cpu_ms_per_s! - idle.server_cpu_ms_per_s!) / clientCount
    ).toFixed(2),
  },
  null,
  2,
));
