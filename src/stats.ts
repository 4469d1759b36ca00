/**
 * Call statistics: counters, capture-to-display latency percentiles, and the
 * once-a-second report in text or JSON.
 *
 * @module
 */

import { AS_STORED } from "./send/frame_setting.ts";

/**
 * Latency percentiles in fixed memory: a histogram of 0.1 ms bins up to
 * 10 s (one overflow bin beyond), so a long call never grows it.
 */
export class LatencyHistogram {
  static readonly BIN_MS = 0.1;
  static readonly BINS = 100_000;
  #bins = new Uint32Array(LatencyHistogram.BINS + 1);
  #count = 0;
  #max = 0;

  /** Number of samples recorded. */
  get count(): number {
    return this.#count;
  }

  /**
   * Records one sample.
   *
   * @param ms Latency in milliseconds (negative values count as 0).
   */
  add(ms: number): void {
    const bin = Math.min(
      LatencyHistogram.BINS,
      Math.max(0, Math.floor(ms / LatencyHistogram.BIN_MS)),
    );
    this.#bins[bin]!++;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  /**
   * The value below which `p` of the samples fall.
   *
   * @param p A fraction, 0 to 1.
   * @returns Milliseconds (upper edge of the bin), or null with no samples.
   */
  percentile(p: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#bins.length; i++) {
      seen += this.#bins[i]!;
      if (seen >= rank) {
        return i === LatencyHistogram.BINS ? this.#max : round((i + 1) * LatencyHistogram.BIN_MS);
      }
    }
    return this.#max;
  }

  /** Forgets every sample. */
  reset(): void {
    this.#bins.fill(0);
    this.#count = 0;
    this.#max = 0;
  }
}

/** What the sender is doing now, for the stats line and the HUD. */
export interface SendingState {
  /** JPEG quality of the frames being sent (0: sent as stored), null before the first. */
  quality: number | null;
  /** Their width, null before the first. */
  width: number | null;
  /** Their height, null before the first. */
  height: number | null;
  /** The capture rate asked for (0: as fast as the source delivers), null before the first. */
  fps: number | null;
  /** The rate the controller aims at, kbit/s (null with `--no-adapt` or before an estimate). */
  targetKbps: number | null;
  /** The link's estimated capacity, kbit/s (null before an estimate). */
  capacityKbps: number | null;
  /** Queueing delay on the way to the peer, ms (null before an estimate). */
  queueDelayMs: number | null;
  /** Whether quality, size or rate is below the ceiling. */
  degraded: boolean;
}

/** Counters for one call, updated by the session's tasks. */
export class CallStats {
  framesSent = 0;
  bytesSent = 0;
  framesReceived = 0;
  bytesReceived = 0;
  framesDecoded = 0;
  /** Captured frames replaced by newer ones before they could be sent. */
  droppedSending = 0;
  /** Received frames replaced by newer ones before they could be decoded. */
  droppedReceiving = 0;
  decodeErrors = 0;
  frameWidth = 0;
  frameHeight = 0;
  /** Latest round-trip time from the heartbeats (null before the first). */
  rttMs: number | null = null;
  /** The peer's clock minus this one, as the heartbeats estimate it. */
  clockOffsetMs = 0;
  /** Times the call reconnected after losing a connection. */
  reconnects = 0;
  /** The path the call is on: `direct` or `via relay HOST:PORT` (null before it connects). */
  path: string | null = null;
  /** What the sender is doing now; the rate controller keeps it current. */
  readonly sending: SendingState = {
    quality: null,
    width: null,
    height: null,
    fps: null,
    targetKbps: null,
    capacityKbps: null,
    queueDelayMs: null,
    degraded: false,
  };
  /** Time the sender spent below its ceiling (quality, size or rate lowered), ms. */
  degradedMs = 0;
  /** Acknowledgements whose timestamps made no sense and were ignored. */
  ackTimesIgnored = 0;
  /** Whole-call latency. */
  readonly latency: LatencyHistogram = new LatencyHistogram();
  /** Latency since the last report. */
  readonly recentLatency: LatencyHistogram = new LatencyHistogram();

  /**
   * Records a frame shown (or decoded, without a window).
   *
   * @param captureTime When the peer captured it, ms since the Unix epoch.
   * @param displayTime When it was shown, on this machine's clock.
   */
  recordLatency(captureTime: number, displayTime: number): void {
    const ms = displayTime - captureTime;
    this.latency.add(ms);
    this.recentLatency.add(ms);
  }
}

/** One line of `--stats json`. */
export interface StatsLine {
  type: "stats";
  time: string;
  sent_fps: number;
  received_fps: number;
  decoded_fps: number;
  sent_kbps: number;
  received_kbps: number;
  dropped_sending: number;
  dropped_receiving: number;
  decode_errors: number;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  rtt_ms: number | null;
  /** The path the call is on: `direct` or `via relay HOST:PORT` (null before it connects). */
  path: string | null;
  /** JPEG quality being sent (0: as stored; null: nothing sent yet). */
  send_quality: number | null;
  /** Size of the frames being sent. */
  send_width: number | null;
  send_height: number | null;
  /** Capture rate the sender asks for (0: as fast as the source delivers). */
  send_fps: number | null;
  /** The rate controller's target, kbit/s (null with --no-adapt). */
  target_kbps: number | null;
  /** Estimated capacity towards the peer, kbit/s. */
  capacity_kbps: number | null;
  /** Estimated queueing delay towards the peer, ms. */
  queue_delay_ms: number | null;
  /** Whether this side sends below its ceiling (lower quality, size or rate). */
  degraded: boolean;
  /** This process's resident memory now (null where unknown). */
  rss_mb: number | null;
  /** JavaScript heap in use, and memory V8 tracks outside it (buffers), MB. */
  heap_mb: number;
  external_mb: number;
}

/** The final `--stats json` object. */
export interface StatsSummary {
  type: "summary";
  peer: string | null;
  end: string;
  duration_s: number;
  frames_sent: number;
  frames_received: number;
  frames_decoded: number;
  frames_dropped: number;
  dropped_sending: number;
  dropped_receiving: number;
  decode_errors: number;
  bytes_sent: number;
  bytes_received: number;
  latency_ms_p50: number | null;
  latency_ms_p95: number | null;
  latency_ms_p99: number | null;
  rtt_ms: number | null;
  clock_offset_ms: number;
  reconnects: number;
  /** The path the call was last on: `direct` or `via relay HOST:PORT` (null if it never connected). */
  path: string | null;
  frame_width: number;
  frame_height: number;
  /** Seconds this side sent below its ceiling (quality, size or rate lowered to fit the link). */
  degraded_s: number;
  /** Acknowledgements whose timestamps were absurd and were ignored. */
  ack_times_ignored: number;
  /** CPU time this process used, user plus system (null where unknown). */
  cpu_s: number | null;
  /** This process's peak resident memory (null where unknown). */
  rss_peak_mb: number | null;
}

/**
 * Turns counters into per-second rates. Call {@linkcode sample} once a
 * second; it compares with the previous call.
 */
export class RateMeter {
  #stats: CallStats;
  #last = { t: 0, sent: 0, received: 0, decoded: 0, bytesSent: 0, bytesReceived: 0 };

  /**
   * @param stats The counters to watch.
   * @param start The time counting starts, in ms (`performance.now()`).
   */
  constructor(stats: CallStats, start: number) {
    this.#stats = stats;
    this.#last.t = start;
  }

  /**
   * Computes rates since the previous sample and clears the recent latency.
   *
   * @param at The current `performance.now()`.
   * @param wallTime The current wall-clock time, for the report.
   * @returns The stats line.
   */
  sample(at: number, wallTime: Date): StatsLine {
    const s = this.#stats;
    const last = this.#last;
    const secs = Math.max(0.001, (at - last.t) / 1000);
    const line: StatsLine = {
      type: "stats",
      time: wallTime.toISOString(),
      sent_fps: round((s.framesSent - last.sent) / secs),
      received_fps: round((s.framesReceived - last.received) / secs),
      decoded_fps: round((s.framesDecoded - last.decoded) / secs),
      sent_kbps: round(((s.bytesSent - last.bytesSent) * 8) / 1000 / secs),
      received_kbps: round(((s.bytesReceived - last.bytesReceived) * 8) / 1000 / secs),
      dropped_sending: s.droppedSending,
      dropped_receiving: s.droppedReceiving,
      decode_errors: s.decodeErrors,
      latency_ms_p50: s.recentLatency.percentile(0.5),
      latency_ms_p95: s.recentLatency.percentile(0.95),
      rtt_ms: s.rttMs === null ? null : round(s.rttMs),
      path: s.path,
      send_quality: s.sending.quality,
      send_width: s.sending.width,
      send_height: s.sending.height,
      send_fps: s.sending.fps,
      target_kbps: nullableRound(s.sending.targetKbps),
      capacity_kbps: nullableRound(s.sending.capacityKbps),
      queue_delay_ms: nullableRound(s.sending.queueDelayMs),
      degraded: s.sending.degraded,
      rss_mb: processUsage().rssMb,
      ...heapUsage(),
    };
    s.recentLatency.reset();
    this.#last = {
      t: at,
      sent: s.framesSent,
      received: s.framesReceived,
      decoded: s.framesDecoded,
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
    };
    return line;
  }
}

/**
 * Builds the final summary.
 *
 * @param stats The call's counters.
 * @param info Who the peer was, why the call ended and how long it lasted.
 * @returns The summary object.
 */
export function summarize(
  stats: CallStats,
  info: { peer: string | null; end: string; durationMs: number },
): StatsSummary {
  const usage = processUsage();
  return {
    type: "summary",
    peer: info.peer,
    end: info.end,
    duration_s: round(info.durationMs / 1000),
    frames_sent: stats.framesSent,
    frames_received: stats.framesReceived,
    frames_decoded: stats.framesDecoded,
    frames_dropped: stats.droppedSending + stats.droppedReceiving,
    dropped_sending: stats.droppedSending,
    dropped_receiving: stats.droppedReceiving,
    decode_errors: stats.decodeErrors,
    bytes_sent: stats.bytesSent,
    bytes_received: stats.bytesReceived,
    latency_ms_p50: stats.latency.percentile(0.5),
    latency_ms_p95: stats.latency.percentile(0.95),
    latency_ms_p99: stats.latency.percentile(0.99),
    rtt_ms: stats.rttMs === null ? null : round(stats.rttMs),
    clock_offset_ms: round(stats.clockOffsetMs),
    reconnects: stats.reconnects,
    path: stats.path,
    frame_width: stats.frameWidth,
    frame_height: stats.frameHeight,
    degraded_s: round(stats.degradedMs / 1000),
    ack_times_ignored: stats.ackTimesIgnored,
    cpu_s: usage.cpuS,
    rss_peak_mb: usage.rssPeakMb,
  };
}

function heapUsage(): { heap_mb: number; external_mb: number } {
  const m = Deno.memoryUsage();
  return { heap_mb: round(m.heapUsed / 1048576), external_mb: round(m.external / 1048576) };
}

/** This process's resource use, read from Linux's /proc (nulls elsewhere). */
export interface ProcessUsage {
  /** User plus system CPU seconds. */
  cpuS: number | null;
  /** Resident memory now, MiB. */
  rssMb: number | null;
  /** Peak resident memory, MiB. */
  rssPeakMb: number | null;
}

const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux ABI

/**
 * Reads this process's CPU time and memory from /proc/self.
 *
 * @returns The figures, or nulls where /proc is not readable.
 */
export function processUsage(): ProcessUsage {
  const usage: ProcessUsage = { cpuS: null, rssMb: null, rssPeakMb: null };
  try {
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    usage.cpuS = round((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1]);
    usage.rssMb = round(kb("VmRSS") / 1024) || null;
    usage.rssPeakMb = round(kb("VmHWM") / 1024) || null;
  } catch {
    // Not Linux, or no read permission: leave the nulls.
  }
  return usage;
}

/**
 * Formats a stats line for the terminal.
 *
 * @param line The sample.
 * @returns One line of text.
 */
export function formatStatsLine(line: StatsLine): string {
  const ms = (v: number | null): string => v === null ? "-" : v.toFixed(1);
  return `sent ${line.sent_fps.toFixed(1)} fps ${Math.round(line.sent_kbps)} kbit/s | ` +
    `received ${line.received_fps.toFixed(1)} fps ${Math.round(line.received_kbps)} kbit/s, ` +
    `shown ${line.decoded_fps.toFixed(1)} fps | dropped ${line.dropped_sending}/` +
    `${line.dropped_receiving} | decode errors ${line.decode_errors} | ` +
    `latency p50 ${ms(line.latency_ms_p50)} ms p95 ${ms(line.latency_ms_p95)} ms | ` +
    `rtt ${ms(line.rtt_ms)} ms${sendingText(line)}`;
}

/**
 * What this side sends, in words, e.g. `sending q52 480x360 15 fps` (quality
 * 0: `as stored`; rate 0: `source fps`); the parts not known yet are left out.
 * For the text stats line and the HUD.
 *
 * @param line A stats line.
 * @returns The words.
 */
export function sendingSetting(line: StatsLine): string {
  const parts = ["sending"];
  if (line.send_quality !== null) {
    parts.push(line.send_quality === AS_STORED ? "as stored" : `q${Math.round(line.send_quality)}`);
  }
  if (line.send_width !== null && line.send_height !== null) {
    parts.push(`${line.send_width}x${line.send_height}`);
  }
  if (line.send_fps !== null) {
    parts.push(line.send_fps === 0 ? "source fps" : `${Math.round(line.send_fps * 10) / 10} fps`);
  }
  return parts.join(" ");
}

// What is being sent, when it is below the ceiling (or the estimates, when adapting).
function sendingText(line: StatsLine): string {
  const parts: string[] = [];
  if (line.degraded && line.send_quality !== null) parts.push(sendingSetting(line));
  if (line.target_kbps !== null) parts.push(`target ${Math.round(line.target_kbps)} kbit/s`);
  if (line.capacity_kbps !== null) parts.push(`capacity ${Math.round(line.capacity_kbps)} kbit/s`);
  if (line.queue_delay_ms !== null) parts.push(`queue ${line.queue_delay_ms.toFixed(1)} ms`);
  return parts.length ? ` | ${parts.join(", ")}` : "";
}

function nullableRound(v: number | null): number | null {
  return v === null ? null : round(v);
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
