/**
 * {@linkcode Connector}: makes the call's connections. It listens for the
 * whole call (`--listen`), dials (`--peer`), or both, and/or meets the peer
 * at a transit relay (`--relay`), and hands over the greeted links: at the
 * start, and again after a connection is lost. With a direct path and a
 * relay, both are tried at once and the first to finish its handshake wins
 * (Happy Eyeballs); the other is closed.
 *
 * @module
 */

import type { Address } from "../cli.ts";
import { CallError, messageOf } from "../errors.ts";
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
import { dialRelay, holdLobby, pathText, relayChannel, type RelayLink } from "./relay.ts";

/**
 * How long a finished relay path waits for a direct path still in its
 * handshake: both sides then prefer the direct path, so that two sides that
 * finish both paths at about the same time agree on one.
 */
export const DIRECT_GRACE_MS = 300;

/** What the connector needs from the command line. */
export interface ConnectorOptions {
  /** Where to accept the peer. */
  listen?: Address;
  /** Where to dial the peer. */
  peer?: Address;
  /** Where to meet the peer through a transit relay (needs `hello.code`). */
  relay?: Address;
  /** Our hello and code. */
  hello: Greeting;
  /** Status lines (waiting, retrying, connections turned away, the path taken). */
  status: (line: string) => void;
}

type Path = "direct" | "relay";

/** Opens the call's connections, again and again. */
export class Connector {
  #o: ConnectorOptions;
  #acceptor?: Acceptor;
  #channel?: Promise<string>;
  #path: string | null = null;
  #lobby?: { stop: AbortController; done: Promise<void> };

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
    if (options.relay) {
      if (options.hello.code === undefined) {
        throw new CallError("A call through a relay needs a secret code (--secret)");
      }
      this.#channel = relayChannel(options.hello.code);
      options.status(
        `Meeting the peer at relay ${formatAddress(options.relay)} ` +
          "(on a channel made from the code; start the other side with the same --relay and --secret)",
      );
    }
  }

  /** The path of the links {@linkcode connect} last returned: `direct` or `via relay HOST:PORT`. */
  get path(): string | null {
    return this.#path;
  }

  /**
   * Makes one set of links: one (listen, dial or relay) or two (listen and
   * dial). With a direct path and a relay, the first path whose handshake
   * completes wins and the other is closed; a status line names the path.
   *
   * @param signal Stops dialling and waiting.
   * @returns The links, dialled first, or null when `signal` aborted first.
   * @throws {CallError} When the peer is not a peercam peer, refuses, or was
   * started with the other connection flags; or the relay refuses or is not
   * a transit relay (with a direct path too: when both paths failed).
   */
  async connect(signal: AbortSignal): Promise<PeerLink[] | null> {
    const o = this.#o;
    await this.#closeLobby();
    const direct = o.listen !== undefined || o.peer !== undefined;
    let won: { path: Path; links: Link[] } | null;
    if (direct && o.relay) won = await this.#race(signal);
    else if (o.relay) {
      won = await this.#relayed(signal).then((l) => l && { path: "relay", links: l });
    } else won = await this.#direct(signal).then((l) => l && { path: "direct", links: l });
    if (won === null || signal.aborted) {
      for (const link of won?.links ?? []) closeQuietly(link.conn);
      return null;
    }
    this.#path = pathText(won.path === "relay" ? o.relay : undefined);
    const relayed = won.links[0] as RelayLink;
    if (won.path === "relay" && relayed.role === "acceptor") this.#openLobby();
    // Which path won matters only when there was a choice.
    if (o.relay) {
      o.status(
        won.path === "relay"
          ? `Connected ${this.#path}`
          : `Connected directly to ${won.links.map((l) => l.remote).join(" and ")}`,
      );
    }
    const now = performance.now();
    return won.links.map((l) => new PeerLink(l, now));
  }

  // Both paths at once; the first with links wins, except that a relay
  // path waits DIRECT_GRACE_MS for a direct one still in progress. A path
  // that fails is reported and the other goes on; both failing throws the
  // first error.
  #race(signal: AbortSignal): Promise<{ path: Path; links: Link[] } | null> {
    const o = this.#o;
    const stops = { direct: new AbortController(), relay: new AbortController() };
    const onAbort = (): void => {
      stops.direct.abort();
      stops.relay.abort();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const attempts: Record<Path, Promise<Link[] | null>> = {
      direct: this.#direct(stops.direct.signal),
      relay: this.#relayed(stops.relay.signal),
    };
    return new Promise((resolve, reject) => {
      let done = false;
      let failed: unknown[] = [];
      let grace: ReturnType<typeof setTimeout> | undefined;
      const state: Record<Path, "trying" | "failed" | Link[]> = {
        direct: "trying",
        relay: "trying",
      };
      const finish = (winner: Path | null, error?: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        signal.removeEventListener("abort", onAbort);
        for (const path of ["direct", "relay"] as const) {
          if (path === winner) continue;
          stops[path].abort();
          // A loser that finishes anyway must not linger.
          attempts[path].then((links) => links?.forEach((l) => closeQuietly(l.conn)), () => {});
        }
        if (error !== undefined) reject(error);
        else resolve(winner === null ? null : { path: winner, links: state[winner] as Link[] });
      };
      for (const path of ["direct", "relay"] as const) {
        const other = path === "direct" ? "relay" : "direct";
        attempts[path].then(
          (links) => {
            if (done) return;
            if (links === null) return finish(null); // aborted from outside
            state[path] = links;
            if (path === "direct" || state[other] === "failed") return finish(path);
            grace = setTimeout(() => finish(path), DIRECT_GRACE_MS);
          },
          (error) => {
            if (done) return;
            state[path] = "failed";
            failed = [...failed, error];
            if (state[other] === "failed") return finish(null, failed[0]);
            o.status(
              `The ${path === "direct" ? "direct path" : "relay path"} failed: ${messageOf(error)}`,
            );
            if (Array.isArray(state[other])) finish(other);
          },
        );
      }
    });
  }

  async #relayed(signal: AbortSignal): Promise<Link[] | null> {
    const o = this.#o;
    const relay = o.relay!;
    const since = performance.now();
    let lastNotice = since;
    const link = await dialRelay(relay, {
      hello: o.hello,
      channel: await this.#channel!,
      signal,
      retryBusy: this.#path !== null,
      onRetry: (reason, attempt) => {
        const t = performance.now();
        if (attempt === 1 || t - lastNotice >= 10_000) {
          lastNotice = t;
          o.status(
            dialRetryText(`relay ${formatAddress(relay)}`, reason, attempt, (t - since) / 1000),
          );
        }
      },
    });
    return link && [link];
  }

  async #direct(signal: AbortSignal): Promise<Link[] | null> {
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
    return [dialed, accepted].filter((l): l is Link => l !== null);
  }

  /** Stops listening and leaves the relay. */
  async close(): Promise<void> {
    await this.#closeLobby();
    await this.#acceptor?.close();
  }

  // While in a call through the relay, one side keeps the channel busy.
  #openLobby(): void {
    const o = this.#o;
    const stop = new AbortController();
    const done = this.#channel!.then((channel) =>
      holdLobby(o.relay!, {
        channel,
        name: o.hello.name,
        signal: stop.signal,
        onRefused: () =>
          o.status(
            `Turned away a caller at relay ${
              formatAddress(o.relay!)
            }: a call is already in progress`,
          ),
      })
    );
    this.#lobby = { stop, done };
  }

  async #closeLobby(): Promise<void> {
    const lobby = this.#lobby;
    this.#lobby = undefined;
    lobby?.stop.abort();
    await lobby?.done;
  }
}
