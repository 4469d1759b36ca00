/**
 * {@linkcode ConnectionGate}: the TCP front of `--serve`. `Deno.serve` has
 * no cap on connections and no timeout for a request that never comes, so
 * idle or half-sent connections would each hold memory for as long as the
 * client likes. The gate accepts the TCP connections itself, refuses those
 * beyond a cap, closes those that get no answer in time (a request that
 * never ends), and relays the rest to the HTTP server on a private Unix
 * socket. Backpressure passes through: a client that stops reading stops
 * the relay, which stops the server.
 *
 * @module
 */

/** Options for {@linkcode ConnectionGate}. */
export interface GateOptions {
  /** Connections open at once; more are closed as they come. */
  maxConnections: number;
  /** A connection still without an answer after this long (ms) is closed (slowloris). */
  firstAnswerMs: number;
}

/** Accepts TCP connections and relays them, within limits, to a Unix socket. */
export class ConnectionGate {
  #listener: Deno.TcpListener;
  #path: string;
  #o: GateOptions;
  #open = new Set<Deno.Conn>();
  #running: Promise<void>;

  /**
   * Starts accepting.
   *
   * @param listener The TCP listener (already bound, so a busy port failed before).
   * @param path The Unix socket the HTTP server listens on.
   * @param options The cap and the idle time.
   */
  constructor(listener: Deno.TcpListener, path: string, options: GateOptions) {
    this.#listener = listener;
    this.#path = path;
    this.#o = options;
    this.#running = this.#accept();
  }

  /** Connections open now. */
  get open(): number {
    return this.#open.size;
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const conn of this.#open) closeQuietly(conn);
    await this.#running;
  }

  async #accept(): Promise<void> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return; // closed
        }
        // Out of file descriptors and the like: wait a little rather than spin.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.#open.size >= this.#o.maxConnections) {
        closeQuietly(conn);
        continue;
      }
      this.#open.add(conn);
      this.#relay(conn).finally(() => {
        this.#open.delete(conn);
        closeQuietly(conn);
      });
    }
  }

  async #relay(conn: Deno.TcpConn): Promise<void> {
    let upstream: Deno.UnixConn;
    try {
      conn.setNoDelay(true);
      upstream = await Deno.connect({ transport: "unix", path: this.#path });
    } catch {
      return;
    }
    // Once the server has answered, the request was whole: after that only
    // the cap bounds the connection (a stream may wait long for a frame).
    let answered = false;
    const timer = setTimeout(() => {
      if (!answered) {
        closeQuietly(conn);
        closeQuietly(upstream);
      }
    }, this.#o.firstAnswerMs);
    try {
      // Whichever direction ends first ends the connection.
      await Promise.race([
        copy(conn, upstream, { size: REQUEST_BUFFER }),
        copy(upstream, conn, { size: RESPONSE_BUFFER, onData: () => answered = true }),
      ]);
    } finally {
      clearTimeout(timer);
      closeQuietly(upstream);
    }
  }
}

/** The relay's buffer towards the client, per connection: all it holds of a stream. */
const RESPONSE_BUFFER = 64 * 1024;

/** The relay's buffer towards the server (requests are small). */
const REQUEST_BUFFER = 4 * 1024;

// Copies until `from` ends or either side fails, through one fixed buffer
// (no allocation per chunk, and no more than the buffer in flight).
async function copy(
  from: Deno.Conn,
  to: Deno.Conn,
  options: { size: number; onData?: () => void },
): Promise<void> {
  const buffer = new Uint8Array(options.size);
  const onData = options.onData ?? (() => {});
  try {
    while (true) {
      const n = await from.read(buffer);
      if (n === null) return;
      onData();
      for (let done = 0; done < n;) done += await to.write(buffer.subarray(done, n));
    }
  } catch {
    // A reset or a close from the other direction: the connection is over.
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}
