/**
 * Relay benchmark: a paced 30 fps call both ways through a real transit
 * relay (`twist3 transitrelay` on loopback) against the same call direct,
 * in one run, encrypted both times. Reports latency p50/p95/p99 of each
 * direction, each peer's CPU, and the relay process's own CPU (from
 * /proc/PID/stat) separately.
 *
 * A third path, `relay-nodelay`, runs the same relay code with one change
 * made from outside (a few lines of Python that set TCP_NODELAY on its
 * connections, as peercam does on its own): it shows what Nagle's algorithm
 * in the packaged relay costs. Nothing of it ships.
 *
 *     deno run -A bench/relay.ts [--size 640x480] [--frames 300] [--runs 2]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { freePort } from "../src/net/ports.ts";
import { generateCode } from "../src/net/secret.ts";
import type { StatsSummary } from "../src/stats.ts";
import { delay } from "../src/async.ts";
import { TransitRelay } from "../tests/_relay.ts";

type Path = "direct" | "relay" | "relay-nodelay";

/** What the benchmark needs of a relay process. */
interface RelayProcess {
  port: number;
  pid: number;
  kill(): Promise<void>;
}

// The packaged relay, with TCP_NODELAY set on each connection it accepts.
const NODELAY_RELAY = `
import sys
from wormhole_transit_relay import transit_server as t
made = t.TransitConnection.connectionMade
def connection_made(self):
    made(self)
    self.transport.setTcpNoDelay(True)
t.TransitConnection.connectionMade = connection_made
from twisted.application.twist._twist import Twist
Twist.main(["twist", "transitrelay", "--port=tcp:%s:interface=127.0.0.1" % sys.argv[1]])
`;

async function startNoDelayRelay(): Promise<RelayProcess> {
  const port = freePort();
  // Debian's python3, which has the relay's package (not a python3 from elsewhere on PATH).
  const child = new Deno.Command("/usr/bin/python3", {
    args: ["-c", NODELAY_RELAY, String(port)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const kill = async (): Promise<void> => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return { port, pid: child.pid, kill };
    } catch {
      await delay(100);
    }
  }
  await kill();
  throw new Error("the patched relay did not start");
}

const ROOT = new URL("..", import.meta.url).pathname;

interface Leg {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  cpuS: number | null;
  decoded: number;
}

interface Run {
  path: Path;
  legs: [Leg, Leg];
  relayCpuS: number | null;
  wallS: number;
}

function peer(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", PEERCAM_RELAY: "", PEERCAM_SECRET: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function summaryOf(child: Deno.ChildProcess): Promise<Leg> {
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.trim().split("\n").map((l) => JSON.parse(l)).find((l) => l.type === "summary");
  if (!out.success || !line) {
    throw new Error(`peer failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const s = line as StatsSummary;
  return {
    p50: s.latency_ms_p50,
    p95: s.latency_ms_p95,
    p99: s.latency_ms_p99,
    cpuS: s.cpu_s,
    decoded: s.frames_decoded,
  };
}

/** CPU seconds (user + system) of a process so far, from /proc/PID/stat. */
function cpuOf(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 (1-based), in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

async function call(
  path: Path,
  common: string[],
  relays: Record<"relay" | "relay-nodelay", RelayProcess>,
): Promise<Run> {
  const relay = relays[path === "relay-nodelay" ? "relay-nodelay" : "relay"];
  const code = generateCode();
  const flags = [...common, "--secret", code];
  const before = cpuOf(relay.pid);
  const t0 = performance.now();
  let a: Deno.ChildProcess, b: Deno.ChildProcess;
  if (path === "direct") {
    const port = freePort();
    a = peer(["--listen", `127.0.0.1:${port}`, "--name", "a", ...flags]);
    b = peer(["--peer", `127.0.0.1:${port}`, "--name", "b", ...flags]);
  } else {
    const at = `127.0.0.1:${relay.port}`;
    a = peer(["--relay", at, "--name", "a", ...flags]);
    b = peer(["--relay", at, "--name", "b", ...flags]);
  }
  const legs = await Promise.all([summaryOf(a), summaryOf(b)]);
  const after = cpuOf(relay.pid);
  return {
    path,
    legs,
    relayCpuS: before === null || after === null ? null : after - before,
    wallS: (performance.now() - t0) / 1000,
  };
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    size: { type: "string", default: "640x480" },
    frames: { type: "string", default: "300" },
    runs: { type: "string", default: "2" },
  },
});
const common = [
  "--no-window",
  "--source",
  "test",
  "--size",
  values.size!,
  "--fps",
  "30",
  "--frames",
  values.frames!,
  "--stats",
  "json",
];
const frames = Number(values.frames);
await using relay = await TransitRelay.start();
const nodelay = await startNoDelayRelay();
const runs: Run[] = [];
try {
  const order: Path[] = ["direct", "relay", "relay-nodelay"];
  for (let i = 0; i < Number(values.runs); i++) {
    // Alternate the order so no path always runs on a warmer machine.
    for (const path of i % 2 === 0 ? order : [...order].reverse()) {
      runs.push(await call(path, common, { relay, "relay-nodelay": nodelay }));
    }
  }
} finally {
  await nodelay.kill();
}
const ms = (v: number | null) => v === null ? "-" : v.toFixed(1);
console.log(`${values.size}, 30 fps both ways, ${frames} frames each way, encrypted`);
console.log(
  "path          latency p50/p95/p99 ms (a←b, b←a)         CPU ms/frame a, b   relay CPU: total, ms per frame forwarded",
);
for (const r of runs) {
  const [a, b] = r.legs;
  const perFrame = (s: number | null) => s === null ? "-" : ((s * 1000) / frames).toFixed(2);
  console.log(
    `${r.path.padEnd(13)} ${ms(a.p50)}/${ms(a.p95)}/${ms(a.p99)}, ${ms(b.p50)}/${ms(b.p95)}/${
      ms(b.p99)
    }`.padEnd(50) +
      `${perFrame(a.cpuS)}, ${perFrame(b.cpuS)}`.padEnd(20) +
      (r.path !== "direct" && r.relayCpuS !== null
        ? `${r.relayCpuS.toFixed(2)} s, ${((r.relayCpuS * 1000) / (2 * frames)).toFixed(3)}`
        : "-"),
  );
}
