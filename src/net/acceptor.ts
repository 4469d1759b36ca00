/**
 * {@linkcode Acceptor}: takes connections on the listening port for the
 * whole call. Each is greeted concurrently, so a silent or slow one delays
 * nobody; a valid peer is handed over only while the call wants one (at the
 * start, or while reconnecting), and any other is told the call is busy.
 *
 * @module
 */

import { closeQuietly, formatAddress, type Greeting, handshake, type Link } from "./connect.ts";
import { messageOf } from "../errors.ts";
import { encodeHello, HelloFlag } from "./protocol.ts";

/** Most connections greeted at once; more are closed at once (a flood). */
export const MAX_PENDING = 16;

/** Options for {@linkcode Acceptor}. */
export interface AcceptorOptions {
  /** Our hello and code. */
  hello: Greeting;
  /** Called for each connection turned away, with the reason. */
  onRejected?: (remote: string, reason: string) => void;
}

/** Accepts peers on a listener until closed. */
export class Acceptor {
  #listener: Deno.TcpListener;
  #options: AcceptorOptions;
  #waiter: ((link: Link | null) => void) | undefined;
  #pending = 0;
  #closed = false;
  #loop: Promise<void>;

  /**
   * Starts accepting.
   *
   * @param listener The listening socket (closed by {@linkcode close}).
   * @param options Our hello and a callback for connections turned away.
   */
  constructor(listener: Deno.TcpListener, options: AcceptorOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#loop = this.#acceptLoop();
  }

  /**
   * Waits for the next peer whose hello (and code) is valid.
   *
   * @returns The link, or null once the acceptor is closed.
   */
  next(): Promise<Link | null> {
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /** Stops listening; a pending {@linkcode next} resolves with null. */
  async close(): Promise<void> {
    this.#closed = true;
    closeQuietly(this.#listener);
    this.#hand(null);
    await this.#loop;
  }

  #hand(link: Link | null): boolean {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(link);
    return waiter !== undefined;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // closed
      }
      const remote = formatAddress(conn.remoteAddr);
      if (this.#pending >= MAX_PENDING) {
        closeQuietly(conn);
        this.#options.onRejected?.(remote, "too many connections at once");
        continue;
      }
      if (this.#waiter === undefined) {
        this.#refuseBusy(conn, remote);
        continue;
      }
      this.#pending++;
      handshake(conn, this.#options.hello, "acceptor").then(
        (link) => {
          if (!this.#hand(link)) {
            // Someone else got there first: this one is an extra call.
            closeQuietly(link.conn);
            this.#options.onRejected?.(remote, "a call is already in progress");
          }
        },
        (error) => this.#options.onRejected?.(remote, messageOf(error)),
      ).finally(() => this.#pending--);
    }
  }

  // An extra connection during a call gets a hello that says so, and is closed.
  #refuseBusy(conn: Deno.TcpConn, remote: string): void {
    const hello = encodeHello({ flags: HelloFlag.BUSY, name: this.#options.hello.name });
    conn.write(hello).catch(() => {}).finally(() => closeQuietly(conn));
    this.#options.onRejected?.(remote, "a call is already in progress");
  }
}
