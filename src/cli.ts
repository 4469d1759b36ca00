/**
 * The command-line contract: flags, defaults, validation and help text.
 * Parsing needs no I/O and no permissions.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { messageOf, UsageError } from "./errors.ts";
import { hasControlCharacters } from "./text.ts";
import { encodeName, MAX_NAME_BYTES } from "./net/protocol.ts";
import { generateCode, normalizeCode } from "./net/secret.ts";
import { tokenProblem } from "./serve/token.ts";
import { parseSource, type Source } from "./source.ts";
import type { DegradePreference } from "./send/ladder.ts";

/** A host and port. */
export interface Address {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/** Everything a call needs, from the command line. */
export interface Options {
  /** Where to accept the peer (`--listen`). */
  listen?: Address;
  /** Where to dial the peer (`--peer`). */
  peer?: Address;
  /** Where to meet the peer through a transit relay (`--relay` or `PEERCAM_RELAY`). */
  relay?: Address;
  /** What to send (`--source`). */
  source: Source;
  /** Frame width (`--size`). */
  width: number;
  /** Frame height (`--size`). */
  height: number;
  /** Capture rate cap; 0 = as fast as the source delivers (`--fps`). */
  fps: number;
  /** JPEG quality 1..100 (`--quality`): the ceiling, and where a call starts. */
  quality: number;
  /** Whether the sender fits quality, size and rate to the link (false with `--no-adapt`). */
  adapt: boolean;
  /** What to give up first when the link lacks room (`--degrade`). */
  degrade: DegradePreference;
  /** The most this side sends, kbit/s (`--max-kbps`), or null for no cap. */
  maxKbps: number | null;
  /**
   * Whether a source stored as JPEG (an MJPEG file or stream) at exactly the
   * frame size may be sent as it is, without decoding and re-encoding: true
   * unless `--quality` was given.
   */
  passthrough: boolean;
  /** Whether to open a highgui window: true only for `--view window` (the default). */
  window: boolean;
  /** Where the peer's video is shown (`--view`; `--no-window` is `none`). */
  view: "window" | "terminal" | "none";
  /** The terminal view's drawing mode, when forced (`--term-graphics`). */
  termGraphics?: "kitty" | "sixel" | "symbols";
  /** Whether the window starts with the self-view shown (false with `--no-self-view`). */
  selfView: boolean;
  /** Where the `s` key saves snapshots (`--snapshot-dir`; checked when the call starts). */
  snapshotDir: string;
  /** When the HUD shows (`--hud`): by itself at the start and when the link is poor, always, or never (`i` toggles it). */
  hud: "auto" | "on" | "off";
  /** Record the call to this Matroska file from its start (`--record`); `r` starts and stops. */
  record?: string;
  /** Record only the peer's video, not what this side sends (`--record-peer-only`). */
  recordPeerOnly: boolean;
  /** Satisfied after decoding this many frames (`--frames`). */
  frames?: number;
  /** Satisfied after this many seconds (`--duration`). */
  duration?: number;
  /** Stats output (`--stats`). */
  stats?: "text" | "json";
  /** Where the json stats go instead of stdout (`--stats-file`). */
  statsFile?: string;
  /** Name shown to the peer (`--name`). */
  name: string;
  /** How long to try to reconnect after a lost connection, seconds; 0 = never (`--reconnect-timeout`). */
  reconnectTimeout: number;
  /** The call's secret code, canonical (`--secret` or `PEERCAM_SECRET`). */
  code?: string;
  /** Whether the code was made for this call (`--secret new`) and must be shown. */
  newCode: boolean;
  /** Where to serve the call over HTTP (`--serve`; host defaults to 127.0.0.1). */
  serve?: Address;
  /** The token every `--serve` URL must carry (`--serve-token`; made at start when needed). */
  serveToken?: string;
}

/** What the command line asks for. */
export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "new-code" }
  | { kind: "list-sources" }
  | { kind: "demo"; options: Options }
  | { kind: "call"; options: Options };

/** Defaults for flags that have one. */
export const DEFAULTS = {
  source: "0",
  size: "640x480",
  fps: 30,
  quality: 80,
  reconnectTimeout: 60,
  snapshotDir: ".",
  hud: "auto",
} as const;

/** Largest frame edge accepted by `--size`. */
export const MAX_EDGE = 8192;

/** Largest frame area accepted by `--size` (8192x4320, as the decoder limit). */
export const MAX_PIXELS = 8192 * 4320;

/**
 * Parses the command line.
 *
 * @param args The arguments after the program name.
 * @param env Supplies the default `--name` (`USER`, host name).
 * @returns The command to run.
 * @throws {UsageError} On an unknown flag, a missing or bad value, or a
 * missing `--listen`/`--peer`.
 */
export function parseCommandLine(
  args: string[],
  env: { user?: string; hostname?: string; secret?: string; relay?: string } = {},
): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeStats(args),
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: "string", short: "l" },
        peer: { type: "string", short: "p" },
        relay: { type: "string" },
        source: { type: "string", short: "s" },
        size: { type: "string" },
        fps: { type: "string" },
        quality: { type: "string", short: "q" },
        "no-adapt": { type: "boolean" },
        degrade: { type: "string" },
        "max-kbps": { type: "string" },
        "no-window": { type: "boolean" },
        view: { type: "string" },
        "term-graphics": { type: "string" },
        "no-self-view": { type: "boolean" },
        "snapshot-dir": { type: "string" },
        hud: { type: "string" },
        record: { type: "string" },
        "record-peer-only": { type: "boolean" },
        "list-sources": { type: "boolean" },
        frames: { type: "string" },
        duration: { type: "string" },
        stats: { type: "string" },
        "stats-file": { type: "string" },
        name: { type: "string" },
        demo: { type: "boolean" },
        secret: { type: "string" },
        "reconnect-timeout": { type: "string" },
        "new-code": { type: "boolean" },
        serve: { type: "string" },
        "serve-token": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    throw new UsageError(parseArgsMessage(error));
  }
  const v = parsed.values;
  if (v.help) return { kind: "help" };
  if (v.version) return { kind: "version" };
  if (v["new-code"]) return { kind: "new-code" };
  if (v["list-sources"]) return { kind: "list-sources" };
  const relayText = v.relay ?? (v.demo || env.relay?.trim() === "" ? undefined : env.relay);
  if (v.demo && (v.listen !== undefined || v.peer !== undefined || v.relay !== undefined)) {
    throw new UsageError("--demo makes its own connection: drop --listen, --peer and --relay");
  }
  if (!v.demo && v.listen === undefined && v.peer === undefined && relayText === undefined) {
    throw new UsageError(
      "Missing --listen or --peer: give --listen PORT to wait for the peer, " +
        "--peer HOST:PORT to dial it, or both, or --relay HOST:PORT (see --help)",
    );
  }
  const [width, height] = parseSize(v.size ?? DEFAULTS.size);
  const view = parseView(v.view, v["no-window"] === true);
  if (view === "terminal" && v.demo) {
    throw new UsageError("--demo shows two peers at once: --view terminal draws one call");
  }
  if (v["stats-file"] !== undefined) {
    if (v["stats-file"].trim() === "") throw new UsageError("Invalid --stats-file: it is empty");
    if (v.stats !== undefined && v.stats !== "json") {
      throw new UsageError("--stats-file writes json lines: drop --stats text");
    }
    v.stats = "json";
  } else if (view === "terminal" && v.stats === "json") {
    throw new UsageError(
      "--stats json writes to stdout, where --view terminal draws: use --stats-file FILE, " +
        "or --stats text (shown on the status line)",
    );
  }
  const options: Options = {
    listen: v.listen === undefined ? undefined : parseListen(v.listen),
    peer: v.peer === undefined ? undefined : parsePeer(v.peer),
    relay: relayText === undefined
      ? undefined
      : parseRelay(relayText, v.relay === undefined ? "PEERCAM_RELAY" : "--relay"),
    source: parseSourceFlag(v.source ?? (v.demo ? "test" : DEFAULTS.source)),
    width,
    height,
    fps: v.fps === undefined ? DEFAULTS.fps : parseNumber("--fps", v.fps, 0, 1000, false),
    quality: v.quality === undefined
      ? DEFAULTS.quality
      : parseNumber("--quality", v.quality, 1, 100, true),
    passthrough: v.quality === undefined,
    adapt: !v["no-adapt"],
    degrade: parseDegrade(v.degrade, v["no-adapt"] === true),
    maxKbps: v["max-kbps"] === undefined
      ? null
      : parseNumber("--max-kbps", v["max-kbps"], 64, 10_000_000, false),
    window: view === "window",
    view,
    termGraphics: parseTermGraphics(v["term-graphics"], view),
    selfView: !v["no-self-view"],
    snapshotDir: parseSnapshotDir(v["snapshot-dir"] ?? DEFAULTS.snapshotDir),
    hud: parseHud(v.hud ?? DEFAULTS.hud),
    record: v.record === undefined ? undefined : parseRecordPath(v.record),
    recordPeerOnly: Boolean(v["record-peer-only"]),
    frames: v.frames === undefined
      ? undefined
      : parseNumber("--frames", v.frames, 1, Number.MAX_SAFE_INTEGER, true),
    duration: v.duration === undefined
      ? undefined
      : parseNumber("--duration", v.duration, 0.001, 31_536_000, false),
    stats: v.stats === undefined ? undefined : parseStats(v.stats),
    statsFile: v["stats-file"],
    name: parseName(v.name ?? defaultName(env)),
    newCode: false,
    serve: v.serve === undefined ? undefined : parseServe(v.serve),
    serveToken: parseServeToken(v["serve-token"], v.serve !== undefined),
    reconnectTimeout: v["reconnect-timeout"] === undefined
      ? DEFAULTS.reconnectTimeout
      : parseNumber("--reconnect-timeout", v["reconnect-timeout"], 0, 86_400, false),
  };
  if (v["no-adapt"] && options.maxKbps !== null) {
    throw new UsageError(
      "--max-kbps needs the rate control that --no-adapt turns off: drop one of them",
    );
  }
  const secret = v.secret ?? env.secret;
  if (secret !== undefined && secret.trim() !== "") {
    const from = v.secret !== undefined ? "--secret" : "PEERCAM_SECRET";
    if (secret.trim() === "new") {
      if (!v.listen && !v.demo && !options.relay) {
        throw new UsageError(
          `${from} new needs --listen or --relay: the side that waits makes the code and gives it to the peer`,
        );
      }
      options.code = normalizeCode(generateCode());
      options.newCode = true;
    } else {
      try {
        options.code = normalizeCode(secret);
      } catch (error) {
        throw new UsageError(`Invalid ${from}: ${messageOf(error)}`);
      }
    }
  }
  if (options.relay && options.code === undefined) {
    throw new UsageError(
      "A call through a relay needs a secret code: the code encrypts the call and picks the " +
        "relay channel; give both sides the same --secret (or PEERCAM_SECRET; make one with --new-code)",
    );
  }
  return { kind: v.demo ? "demo" : "call", options };
}

// `--degrade balanced|resolution|framerate` (balanced by default).
function parseDegrade(value: string | undefined, noAdapt: boolean): DegradePreference {
  if (value === undefined) return "balanced";
  if (noAdapt) {
    throw new UsageError("--degrade chooses how the rate control adapts: drop --no-adapt");
  }
  if (value === "balanced" || value === "resolution" || value === "framerate") return value;
  throw new UsageError(
    `Invalid --degrade "${value}": balanced (quality, then size, then frame rate), ` +
      "resolution (keep the size) or framerate (keep the frame rate)",
  );
}

// `--stats` takes an optional value, which parseArgs cannot express: a bare
// `--stats` becomes `--stats=text`.
function normalizeStats(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (arg === "--stats") {
      const next = args[i + 1];
      if (next === "text" || next === "json") {
        out.push(`--stats=${next}`);
        i++;
      } else {
        out.push("--stats=text");
      }
      continue;
    }
    out.push(arg);
  }
  return out;
}

function parseArgsMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(text);
  if (unknown) return `Unknown option "${unknown[1]}" (see --help)`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(text);
  if (missing) return `Missing value for ${missing[1]}`;
  const ambiguous = /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(text);
  if (ambiguous) {
    const flag = ambiguous[1];
    return `Missing value for ${flag} (for a value starting with "-", write ${flag}=VALUE)`;
  }
  const positional = /Unexpected argument '([^']+)'/.exec(text);
  if (positional) return `Unexpected argument "${positional[1]}" (see --help)`;
  const boolValue = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(text);
  if (boolValue) return `${boolValue[1]} takes no value`;
  return text.split("\n")[0] ?? text;
}

function parsePort(flag: string, text: string, value: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > 65535) {
    throw new UsageError(`Invalid ${flag} "${value}": port must be ${min} to 65535`);
  }
  return Number(text);
}

function splitHostPort(flag: string, value: string): [string | undefined, string] {
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(value);
  if (v6) return [v6[1], v6[2]!];
  const i = value.lastIndexOf(":");
  if (i < 0) return [undefined, value];
  const host = value.slice(0, i);
  if (host.includes(":")) {
    throw new UsageError(`Invalid ${flag} "${value}": write IPv6 addresses as [ADDR]:PORT`);
  }
  return [host, value.slice(i + 1)];
}

/**
 * Parses `--listen [HOST:]PORT`.
 *
 * @param value The flag's value.
 * @returns The address to listen on; host defaults to 0.0.0.0.
 * @throws {UsageError} On a bad host or port.
 */
export function parseListen(value: string): Address {
  const [host, port] = splitHostPort("--listen", value);
  if (host === "") throw new UsageError(`Invalid --listen "${value}": host is empty`);
  return { hostname: host ?? "0.0.0.0", port: parsePort("--listen", port, value, 0) };
}

/**
 * Parses `--serve [HOST:]PORT`.
 *
 * @param value The flag's value.
 * @returns The address to serve on; host defaults to 127.0.0.1 (this machine only).
 * @throws {UsageError} On a bad host or port.
 */
export function parseServe(value: string): Address {
  const [host, port] = splitHostPort("--serve", value);
  if (host === "") throw new UsageError(`Invalid --serve "${value}": host is empty`);
  return { hostname: host ?? "127.0.0.1", port: parsePort("--serve", port, value, 0) };
}

function parseServeToken(token: string | undefined, serving: boolean): string | undefined {
  if (token === undefined) return undefined;
  if (!serving) throw new UsageError("--serve-token needs --serve");
  const problem = tokenProblem(token);
  if (problem) throw new UsageError(`Invalid --serve-token: ${problem}`);
  return token;
}

/**
 * Parses `--peer HOST:PORT`.
 *
 * @param value The flag's value.
 * @returns The address to dial.
 * @throws {UsageError} On a missing host or a bad port.
 */
export function parsePeer(value: string): Address {
  const [host, port] = splitHostPort("--peer", value);
  if (host === undefined || host === "") {
    throw new UsageError(`Invalid --peer "${value}": expected HOST:PORT`);
  }
  return { hostname: host, port: parsePort("--peer", port, value, 1) };
}

/**
 * Parses `--relay HOST:PORT` (or `PEERCAM_RELAY`).
 *
 * @param value The flag's value.
 * @param from Where it came from, for messages.
 * @returns The relay's address.
 * @throws {UsageError} On a missing host or a bad port.
 */
export function parseRelay(value: string, from = "--relay"): Address {
  const [host, port] = splitHostPort(from, value);
  if (host === undefined || host === "") {
    throw new UsageError(
      `Invalid ${from} "${value}": expected HOST:PORT (e.g. relay.example.org:4001)`,
    );
  }
  return { hostname: host, port: parsePort(from, port, value, 1) };
}

/**
 * Parses `--size WxH`.
 *
 * @param value The flag's value, e.g. `1280x720`.
 * @returns Width and height.
 * @throws {UsageError} On a malformed or out-of-range size.
 */
export function parseSize(value: string): [number, number] {
  const m = /^(\d+)[xX](\d+)$/.exec(value);
  if (!m) throw new UsageError(`Invalid --size "${value}": expected WxH, e.g. 1280x720`);
  const w = Number(m[1]), h = Number(m[2]);
  if (w < 16 || h < 16 || w > MAX_EDGE || h > MAX_EDGE || w * h > MAX_PIXELS) {
    throw new UsageError(
      `Invalid --size "${value}": each side must be 16 to ${MAX_EDGE} pixels, ` +
        `at most ${MAX_PIXELS} pixels in all`,
    );
  }
  return [w, h];
}

function parseNumber(
  flag: string,
  value: string,
  min: number,
  max: number,
  integer: boolean,
): number {
  const n = Number(value);
  const shape = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!shape.test(value.trim()) || !Number.isFinite(n) || n < min || n > max) {
    const kind = integer ? "a whole number" : "a number";
    throw new UsageError(`Invalid ${flag} "${value}": expected ${kind} from ${min} to ${max}`);
  }
  return n;
}

function parseView(value: string | undefined, noWindow: boolean): "window" | "terminal" | "none" {
  if (value === undefined) return noWindow ? "none" : "window";
  if (value !== "window" && value !== "terminal" && value !== "none") {
    throw new UsageError(`Invalid --view "${value}": expected window, terminal or none`);
  }
  if (noWindow && value !== "none") {
    throw new UsageError(
      `--no-window means --view none: drop one of --no-window and --view ${value}`,
    );
  }
  return value;
}

function parseTermGraphics(
  value: string | undefined,
  view: "window" | "terminal" | "none",
): "kitty" | "sixel" | "symbols" | undefined {
  if (value === undefined) return undefined;
  if (value !== "kitty" && value !== "sixel" && value !== "symbols") {
    throw new UsageError(`Invalid --term-graphics "${value}": expected kitty, sixel or symbols`);
  }
  if (view !== "terminal") throw new UsageError("--term-graphics needs --view terminal");
  return value;
}

function parseHud(value: string): "auto" | "on" | "off" {
  if (value === "auto" || value === "on" || value === "off") return value;
  throw new UsageError(`Invalid --hud "${value}": expected auto, on or off`);
}

function parseStats(value: string): "text" | "json" {
  if (value === "text" || value === "json") return value;
  throw new UsageError(`Invalid --stats "${value}": expected text or json`);
}

function parseSourceFlag(value: string): Source {
  try {
    return parseSource(value);
  } catch (error) {
    throw new UsageError(`Invalid --source "${value}": ${messageOf(error)}`);
  }
}

function parseRecordPath(value: string): string {
  if (!/\.mkv$/i.test(value) || value.endsWith("/")) {
    throw new UsageError(`Invalid --record "${value}": expected a file name ending in .mkv`);
  }
  if (hasControlCharacters(value)) {
    throw new UsageError("Invalid --record: it contains control characters");
  }
  return value;
}

function parseSnapshotDir(value: string): string {
  if (value === "") throw new UsageError("Invalid --snapshot-dir: it is empty");
  if (hasControlCharacters(value)) {
    throw new UsageError("Invalid --snapshot-dir: it contains control characters");
  }
  return value;
}

function parseName(value: string): string {
  if (value.trim() === "") throw new UsageError("Invalid --name: it is empty");
  if (hasControlCharacters(value)) {
    throw new UsageError("Invalid --name: it contains control characters");
  }
  if (new TextEncoder().encode(value).length > MAX_NAME_BYTES) {
    throw new UsageError(`Invalid --name: at most ${MAX_NAME_BYTES} bytes of UTF-8`);
  }
  return value;
}

function defaultName(env: { user?: string; hostname?: string }): string {
  const name = [env.user, env.hostname].filter(Boolean).join("@");
  return name === "" ? "peercam" : new TextDecoder().decode(encodeName(name));
}
