/**
 * The HUD: a few lines of call status drawn over the picture (`i`). What
 * it says and when it shows are pure functions; drawing uses OpenCV's
 * text, so it works with every highgui backend.
 *
 * @module
 */

import type { LinkPhase } from "../net/link_state.ts";
import { sendingSetting, type StatsLine } from "../stats.ts";

/** How long the HUD shows by itself at the start of a call, ms. */
export const HUD_INTRO_MS = 5000;

/** What the HUD reports. */
export interface HudInfo {
  /** The peer's name (null before the first connection). */
  peerName: string | null;
  /** Whether the call is encrypted (null before the first connection). */
  secure: boolean | null;
  /** The connection's phase. */
  phase: LinkPhase;
  /** The last second's stats (null before the first second). */
  stats: StatsLine | null;
  /** Whether this side's video is paused (`v`). */
  paused: boolean;
  /**
   * The size of the peer's frames while they are smaller than the window
   * shows them (the peer lowered its size for a slow link), else null or
   * absent.
   */
  received?: { width: number; height: number } | null;
}

/**
 * The HUD's lines, ASCII only (OpenCV's fonts have no other characters).
 *
 * Lines are added while this side sends below its ceiling (`stats.degraded`:
 * the quality, size and rate being sent, and the rate aimed at) and while the
 * peer's frames are smaller than the window (`received`).
 *
 * @example
 * ```ts
 * hudLines({ peerName: "Bob", secure: true, phase: "connected", stats: null, paused: false });
 * // ["Bob | encrypted | connected"]
 * ```
 *
 * @param info What to report.
 * @returns One to six lines.
 */
export function hudLines(info: HudInfo): string[] {
  const name = info.peerName === null ? "waiting for the peer" : asciiOnly(info.peerName);
  const security = info.secure === null ? "" : info.secure ? " | encrypted" : " | not encrypted";
  const lines = [`${name}${security} | ${info.phase}`];
  const s = info.stats;
  if (s) {
    const p95 = s.latency_ms_p95 === null ? "-" : `${s.latency_ms_p95.toFixed(1)} ms`;
    lines.push(`received ${s.received_fps.toFixed(1)} fps | latency p95 ${p95}`);
    lines.push(
      `kbit/s: up ${Math.round(s.sent_kbps)} | down ${Math.round(s.received_kbps)}`,
    );
    if (s.degraded) lines.push(sendingLine(s));
  }
  if (info.received) lines.push(`receiving ${info.received.width}x${info.received.height}`);
  if (info.paused) lines.push("your video is paused (v to resume)");
  return lines;
}

// What this side sends while degraded, e.g. `sending q52 480x360 15 fps | target 1800 kbit/s`.
function sendingLine(s: StatsLine): string {
  const target = s.target_kbps === null ? "" : ` | target ${Math.round(s.target_kbps)} kbit/s`;
  return sendingSetting(s) + target;
}

/** What decides whether the HUD shows. */
export interface HudVisibilityInput {
  /** The current time, ms. */
  now: number;
  /** When the call started (ms), or null before it did. */
  callStart: number | null;
  /** The connection's phase. */
  phase: LinkPhase;
  /** Whether the link is degraded (quality or size lowered). */
  degraded: boolean;
  /** The user's choice with `i`, or null when they made none. */
  choice: boolean | null;
}

/**
 * Whether the HUD shows: as the user chose with `i`; otherwise during the
 * first {@linkcode HUD_INTRO_MS} of a call, and whenever the link is
 * degraded or reconnecting.
 *
 * @param input The state.
 * @returns True to draw it.
 */
export function hudVisible(input: HudVisibilityInput): boolean {
  if (input.choice !== null) return input.choice;
  if (input.phase === "reconnecting" || input.degraded) return true;
  return input.callStart !== null && input.now - input.callStart < HUD_INTRO_MS;
}

/**
 * Replaces what OpenCV's Hershey fonts cannot draw with `?`.
 *
 * @param text Any text.
 * @returns Printable ASCII.
 */
export function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?");
}
