/**
 * {@linkcode Connector}: makes the call's connections. It listens for the
 * whole call (`--listen`), dials (`--peer`), or both, and hands over the
 * greeted links: at the start, and again after a connection is lost.
 *
 * @module
 */

import type { Address } from "../cli.ts";
import { CallError } from "../errors.ts";
import { dialRetryText, dualMismatchText, waitingText } from "../call/status.ts";
import { Acceptor } from "./acceptor.ts";
import {
  closeQuietly,
  dialPeer,
  formatAddress,
  type Greeting,
  type Link,
  listen,
} from "./connect.ts";
import { PeerLink } from "./peer_link.ts";
import { HelloFlag } from "./protocol.ts";

/** What the connector needs from the command line. */
export interface ConnectorOptions {
  /** Where to accept the peer. */
  listen?: Address;
  /** Where to dial the peer. */
  peer?: Address;
  /** Our hello and code. */
  hello: Greeting;
  /** Status lines (waiting, retrying, connections turned away). */
  status: (line: string) => void;
}

/** Opens the call's connections, again and again. */
export class Connector {
  #o: ConnectorOptions;
  #acceptor?: Acceptor;

  /**
   * Opens the listening port (kept for the whole call) and says what this
   * side waits for.
   *
   * @param options The addresses, our hello and where status lines go.
   * @throws {CallError} When the port cannot be opened.
   */
  constructor(options: ConnectorOptions) {
    this.#o = options;
    let where: { address: string; port: number } | undefined;
    if (options.listen) {
      const listener = listen(options.listen);
      const addr = listener.addr as Deno.NetAddr;
      where = { address: formatAddress(addr), port: addr.port };
      this.#acceptor = new Acceptor(listener, {
        hello: options.hello,
        onRejected: (remote, reason) =>
          options.status(`Turned away a connection from ${remote}: ${reason}`),
      });
    }
    const peer = options.peer ? formatAddress(options.peer) : undefined;
    if (where || peer) options.status(waitingText(where, peer));
  }

  /**
   * Makes one set of links: one (listen or dial) or two (both).
   *
   * @param signal Stops dialling and waiting.
   * @returns The links, dialled first, or null when `signal` aborted first.
   * @throws {CallError} When the peer is not a peercam peer, refuses, or was
   * started with the other connection flags.
   */
  async connect(signal: AbortSignal): Promise<PeerLink[] | null> {
    const o = this.#o;
    const dual = Boolean(o.listen && o.peer);
    // Each link is checked as soon as it is greeted, so a peer started the
    // wrong way is reported at once instead of after a wait that never ends.
    const checked = (link: Link | null): Link | null => {
      if (link && Boolean(link.peer.flags & HelloFlag.DUAL) !== dual) {
        closeQuietly(link.conn);
        throw new CallError(dualMismatchText(link.remote, dual));
      }
      return link;
    };
    const since = performance.now();
    let lastNotice = since;
    const dialing = o.peer
      ? dialPeer(o.peer, {
        hello: o.hello,
        signal,
        onRetry: (reason, attempt) => {
          const t = performance.now();
          if (attempt === 1 || t - lastNotice >= 10_000) {
            lastNotice = t;
            o.status(dialRetryText(formatAddress(o.peer!), reason, attempt, (t - since) / 1000));
          }
        },
      }).then(checked)
      : Promise.resolve(null);
    const accepting = this.#acceptor ? this.#acceptor.next().then(checked) : Promise.resolve(null);
    const aborted = new Promise<null>((resolve) => {
      if (signal.aborted) resolve(null);
      signal.addEventListener("abort", () => resolve(null), { once: true });
    });
    // Whichever fails first fails the whole attempt; a link that completes
    // after the attempt ended must not linger.
    const both = Promise.all([dialing, accepting]);
    const drop = (): void => {
      for (const pending of [dialing, accepting]) {
        pending.then((link) => link && closeQuietly(link.conn)).catch(() => {});
      }
    };
    let result: [Link | null, Link | null] | null;
    try {
      result = await Promise.race([both, aborted]);
    } catch (error) {
      drop();
      throw error;
    }
    const [dialed, accepted] = result ?? [null, null];
    if (signal.aborted || (o.peer && !dialed) || (o.listen && !accepted)) {
      drop();
      return null;
    }
    const now = performance.now();
    return [dialed, accepted].filter((l): l is Link => l !== null).map((l) => new PeerLink(l, now));
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await this.#acceptor?.close();
  }
}
