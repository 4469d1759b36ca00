/**
 * The call's status lines, as pure functions of what they report: one place
 * for the wording users see, tested without a call.
 *
 * @module
 */

import { formatCode } from "../net/secret.ts";

/**
 * The security notice at start: a warning for an open call, or the code
 * to give the peer when this side made one.
 *
 * @param call Whether there is a code, whether it was made now, and the listening port.
 * @returns The line, or null when there is nothing to say.
 */
export function securityNotice(
  call: { code?: string; newCode: boolean; listenPort?: number },
): string | null {
  if (call.code === undefined) {
    return "Warning: this call is not encrypted: anyone on the network path can watch it" +
      (call.listenPort !== undefined
        ? `, and anyone who can reach port ${call.listenPort} can join it`
        : "") +
      "; use --secret (make a code with --new-code)";
  }
  if (call.newCode) {
    const code = formatCode(call.code);
    return `Secret code for this call: ${code} ` +
      `(give it to the peer: --secret ${code}, or PEERCAM_SECRET)`;
  }
  return null;
}

/**
 * What this side waits for, once its listener is open or its dialling starts.
 *
 * @param where The listening address (`host:port`) and port, if listening.
 * @param peer The address dialled, if dialling.
 * @returns The line.
 */
export function waitingText(
  where: { address: string; port: number } | undefined,
  peer: string | undefined,
): string {
  if (where && peer) return `Listening on ${where.address} and calling ${peer}`;
  if (where) {
    return `Waiting for the peer on ${where.address} ` +
      `(start the other side with --peer THIS-HOST:${where.port})`;
  }
  return `Calling ${peer}`;
}

/**
 * A dial attempt failed; shown at the first failure and every 10 s after.
 *
 * @param peer The address dialled.
 * @param reason Why the attempt failed.
 * @param attempt Which attempt, from 1.
 * @param waitedS Seconds since dialling began.
 * @returns The line.
 */
export function dialRetryText(
  peer: string,
  reason: string,
  attempt: number,
  waitedS: number,
): string {
  return `Waiting for the peer at ${peer} (${reason}; ` +
    `${attempt === 1 ? "retrying until it answers" : `${Math.round(waitedS)} s so far`})`;
}

/** What {@linkcode inCallText} reports. */
export interface CallFacts {
  /** The peer's name. */
  peerName: string;
  /** The peer's address. */
  remote: string;
  /** Whether the link is encrypted. */
  secure: boolean;
  /** What this side sends, described, or null when it only watches. */
  sending: string | null;
  /** Whether a window is open (keys work there). */
  window: boolean;
}

/**
 * The line when the call starts.
 *
 * @param call What to report.
 * @returns The line.
 */
export function inCallText(call: CallFacts): string {
  return `In a call with ${JSON.stringify(call.peerName)} at ${call.remote}` +
    (call.secure ? ", encrypted" : ", not encrypted") +
    (call.sending === null ? " (watching only)" : `, sending ${call.sending}`) +
    (call.window ? "; press q in the window or Ctrl-C to end (h for keys)" : "; Ctrl-C to end");
}

/**
 * The line when a connection is lost and the call tries to come back.
 *
 * @param reason Why it was lost.
 * @param timeoutS `--reconnect-timeout`.
 * @returns The line.
 */
export function reconnectingText(reason: string, timeoutS: number): string {
  return `Lost the connection to the peer (${reason}); reconnecting for up to ${timeoutS} s`;
}

/**
 * The line when the call is back.
 *
 * @param peerName The peer's name.
 * @param tookMs How long it was away.
 * @param secure Whether the new links are encrypted.
 * @returns The line.
 */
export function reconnectedText(peerName: string, tookMs: number, secure: boolean): string {
  return `Reconnected to ${JSON.stringify(peerName)} after ${(tookMs / 1000).toFixed(1)} s` +
    (secure ? ", encrypted with fresh keys" : "");
}

/**
 * The error when the peer did not come back in time.
 *
 * @param timeoutS `--reconnect-timeout`.
 * @param reason Why the connection was lost.
 * @returns The line.
 */
export function notBackText(timeoutS: number, reason: string): string {
  return `The peer did not come back within ${timeoutS} s (--reconnect-timeout): ${reason}`;
}

/**
 * The error when two sides were started with different connection flags.
 *
 * @param remote The peer's address.
 * @param dual Whether this side has both `--listen` and `--peer`.
 * @returns The line.
 */
export function dualMismatchText(remote: string, dual: boolean): string {
  return `The peer at ${remote} was started with ` +
    (dual
      ? "only one of --listen/--peer, this side with both"
      : "both --listen and --peer, this side with one") +
    ": give both sides both flags, or one side --listen and the other --peer";
}

/**
 * How the source's frames become JPEG, when that is worth saying.
 *
 * @param mode The producer's mode.
 * @param quality `--quality`.
 * @returns The line, or null for an ordinary encode.
 */
export function sourceModeText(mode: string, quality: number): string | null {
  if (mode === "passthrough") {
    return "The source is stored as JPEG at the frame size: sending its frames as they are " +
      "(give --quality to re-encode)";
  }
  if (mode === "transcode") {
    return `The source is stored as JPEG at the frame size: re-encoding it at quality ` +
      `${quality} without decoding to BGR`;
  }
  return null;
}
