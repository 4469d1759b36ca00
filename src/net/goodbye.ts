/**
 * Closing a call's connections in the order that loses nothing: say
 * goodbye, flush, half-close, let the peer close first, then close.
 *
 * @module
 */

import { withTimeout } from "../async.ts";
import type { PeerLink } from "./peer_link.ts";

/** Options for {@linkcode hangUp}. */
export interface HangUpOptions {
  /** The goodbye to send, or null when the peer said goodbye first. */
  bye: { reason: number; text: string } | null;
  /** The links' read tasks, which end when the peer closes its side. */
  readers: Promise<void>[];
  /** The most each step may take (a peer that stopped reading must not hold it up). */
  timeoutMs: number;
}

/**
 * Says goodbye on every link and closes them, so neither side's kernel
 * resets a connection that still holds unread data.
 *
 * @param links The call's links.
 * @param options The goodbye, the read tasks and the time each step may take.
 */
export async function hangUp(links: readonly PeerLink[], options: HangUpOptions): Promise<void> {
  const { bye, timeoutMs } = options;
  if (bye && links.length > 0) {
    await withTimeout(
      Promise.all(links.map((link) => link.writer.writeBye(bye.reason, bye.text).catch(() => {}))),
      timeoutMs,
    );
  }
  await withTimeout(Promise.all(links.map((link) => link.writer.flush())), timeoutMs);
  for (const link of links) {
    try {
      await link.conn.closeWrite();
    } catch {
      // Already closed by the peer.
    }
  }
  await withTimeout(Promise.all(options.readers), timeoutMs);
  for (const link of links) link.close();
}
