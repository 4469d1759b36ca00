/**
 * Test helper: runs `main.ts` as a real process and collects its output.
 *
 * @module
 */

import type { StatsLine, StatsSummary } from "../src/stats.ts";
import { ROOT } from "./_tools.ts";

/** A running peercam process. */
export class Peer {
  readonly child: Deno.ChildProcess;
  #stderr = "";
  #stdout = "";
  #done: Promise<void>;

  /**
   * Starts `deno run -A main.ts ...args`.
   *
   * @param args peercam's arguments.
   * @param env Extra environment (a value of "" removes the variable).
   * @param prefix A command to run it under, e.g. `ip netns exec NS`.
   */
  constructor(args: string[], env: Record<string, string> = {}, prefix: string[] = []) {
    const removed = Object.entries(env).filter(([, v]) => v === "").map(([k]) => k);
    const base = Deno.env.toObject();
    for (const k of removed) delete base[k];
    const kept = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
    const command = [...prefix, Deno.execPath(), "run", "-A", `${ROOT}main.ts`, ...args];
    this.child = new Deno.Command(command[0]!, {
      args: command.slice(1),
      cwd: ROOT,
      env: { ...base, ...kept, NO_COLOR: "1" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const decoder = () => new TextDecoderStream();
    this.#done = Promise.all([
      this.child.stdout.pipeThrough(decoder()).pipeTo(
        new WritableStream({ write: (c) => void (this.#stdout += c) }),
      ),
      this.child.stderr.pipeThrough(decoder()).pipeTo(
        new WritableStream({ write: (c) => void (this.#stderr += c) }),
      ),
    ]).then(() => {});
  }

  /** What the process has written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** What the process has written to stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Resolves when stderr contains `text`; rejects after `timeoutMs`. */
  async waitFor(text: string | RegExp, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const found = () =>
      typeof text === "string" ? this.#stderr.includes(text) : text.test(this.#stderr);
    while (!found()) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${text} in stderr:\n${this.#stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for exit (killing the process after `timeoutMs`) and returns the status. */
  async exit(timeoutMs = 60000): Promise<number> {
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, timeoutMs);
    const status = await this.child.status;
    clearTimeout(timer);
    await this.#done;
    if (status.signal === "SIGKILL") throw new Error(`peer hung and was killed:\n${this.#stderr}`);
    return status.code;
  }

  /** The JSON lines written with `--stats json`. */
  json(): Array<StatsLine | StatsSummary> {
    return this.#stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }

  /** The final `--stats json` summary. */
  summary(): StatsSummary {
    const s = this.json().find((l): l is StatsSummary => l.type === "summary");
    if (!s) throw new Error(`no summary in stdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`);
    return s;
  }
}

/** Runs peercam to completion and returns its status and output. */
export async function runPeer(
  args: string[],
  env?: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const peer = new Peer(args, env);
  const code = await peer.exit();
  return { code, stdout: peer.stdout, stderr: peer.stderr };
}

/** Flags for a headless peer sending the test pattern at a small size. */
export const HEADLESS = ["--no-window", "--source", "test", "--size", "320x240"];

/**
 * Starts a peer listening on loopback `port` and waits until it says so.
 *
 * @param port The port.
 * @param args More flags.
 * @param env Extra environment.
 * @returns The running peer.
 */
export async function listening(
  port: number,
  args: string[],
  env?: Record<string, string>,
): Promise<Peer> {
  const peer = new Peer(["--listen", `127.0.0.1:${port}`, ...args], env);
  await peer.waitFor("Waiting for the peer");
  return peer;
}

/**
 * A real peercam that dials a peer the test plays by hand: listens on
 * loopback, starts peercam with `--peer` there and `args` (after the
 * headless flags, with no reconnection, so each way a connection can end
 * shows as it is), and returns the accepted connection.
 *
 * @param args More flags.
 * @returns The running peer and the test's end of the connection.
 */
export async function dialledBy(args: string[]): Promise<{ peer: Peer; conn: Deno.TcpConn }> {
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (server.addr as Deno.NetAddr).port;
  const peer = new Peer([
    "--peer",
    `127.0.0.1:${port}`,
    ...HEADLESS,
    "--reconnect-timeout",
    "0",
    ...args,
  ]);
  try {
    return { peer, conn: await server.accept() };
  } finally {
    server.close();
  }
}
