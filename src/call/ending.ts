/**
 * How a call ends: the normal ends a user sees, what the peer's goodbye
 * means, and what ours says.
 *
 * @module
 */

import { CallError } from "../errors.ts";
import { ByeReason } from "../net/protocol.ts";
import { withoutControlCharacters } from "../text.ts";

/** How a call ended normally (errors are thrown as {@linkcode CallError}). */
export interface CallEnd {
  /** Why. */
  kind: "quit" | "peer-quit" | "peer-hangup" | "done" | "no-peer";
  /** One line for the user. */
  message: string;
}

/** The end of a call whose every limit was reached. */
export const DONE: CallEnd = { kind: "done", message: "Call complete: every limit was reached" };

/**
 * What the peer's goodbye means for this side.
 *
 * @param reason The BYE's reason byte.
 * @param text The BYE's text, raw from the wire.
 * @param peerName The peer's name, if known.
 * @returns The end, or the error to end with.
 */
export function endForBye(
  reason: number,
  text: Uint8Array,
  peerName: string | null,
): CallEnd | CallError {
  const peer = JSON.stringify(peerName ?? "the peer");
  if (reason === ByeReason.DONE) return DONE;
  if (reason === ByeReason.ERROR) {
    const detail = withoutControlCharacters(new TextDecoder().decode(text));
    return new CallError(`The peer ${peer} ended the call after an error: ${detail}`);
  }
  return { kind: "peer-quit", message: `${peer} ended the call` };
}

/**
 * What this side's goodbye says, for how the call ended.
 *
 * @param end The end, or the error the call ended with.
 * @returns The BYE's reason and text.
 */
export function byeFor(end: CallEnd | Error | undefined): { reason: number; text: string } {
  if (end instanceof Error) return { reason: ByeReason.ERROR, text: end.message };
  return { reason: end?.kind === "done" ? ByeReason.DONE : ByeReason.QUIT, text: "" };
}
