/**
 * {@linkcode CallServer}: `--serve`, the call in a browser tab and for MJPEG
 * clients (VLC, ffplay, Home Assistant).
 *
 * ```
 *  Fanout ─▶ packet(jpeg) ─▶ [LatestJpeg peer] ─┬─▶ /stream, /?action=stream   (each client:
 *  Producer ─▶ ownFrame() ─▶ [LatestJpeg self] ─┤   /snapshot, /?action=snapshot  the newest
 *  stats (once a second) ───────────────────────┴─▶ /stats, /self/stream, /     frame when ready)
 * ```
 *
 * Both feeds are synchronous and cost one copy per frame, however many
 * clients watch: the call never waits for HTTP. On an address other than
 * loopback (see `token.ts`) every URL needs `?token=`. Clients reach the
 * HTTP server (`Deno.serve`, on a private Unix socket) through
 * {@linkcode ConnectionGate}, which caps connections and drops requests
 * that never end.
 *
 * @module
 */

import { CLOSE_TIMEOUT_MS, withTimeout } from "../async.ts";
import { CallError, messageOf } from "../errors.ts";
import type { FrameInfo, PacketSink } from "../receive/fanout.ts";
import type { StatsLine } from "../stats.ts";
import { ConnectionGate } from "./gate.ts";
import { BOUNDARY, LatestJpeg } from "./latest_jpeg.ts";
import { pageHtml } from "./page.ts";
import { isLoopback, newToken, tokenMatches } from "./token.ts";

/** At most this many MJPEG streams at once; more get 503 (each holds a connection and a frame). */
export const MAX_STREAMS = 64;

/** At most this many connections at once (streams, page loads, idle keep-alives); more are closed. */
export const MAX_CONNECTIONS = 256;

/** A connection whose request is not whole after this long is closed. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Longest request target accepted (path and query); longer gets 414. */
export const MAX_TARGET = 2048;

/** What the page and `/stats` show besides the video. */
export interface CallStatus {
  /** The peer's name, or null before it connected. */
  peer: string | null;
  /** The link's phase ("waiting", "connected", "reconnecting", ...). */
  phase: string;
  /** The latest once-a-second stats, or null before the first. */
  stats: StatsLine | null;
}

/** Options for {@linkcode CallServer.open}. */
export interface CallServerOptions {
  /** Require this token (`--serve-token`); without it, one is made for non-loopback binds. */
  token?: string;
  /** Your name. */
  selfName: string;
  /** The call's status now (cheap; called per `/stats` request). */
  status(): CallStatus;
}

const CRLF = new Uint8Array([13, 10]);

const NO_CACHE = {
  "Cache-Control": "no-store, no-cache, must-revalidate, pre-check=0, post-check=0, max-age=0",
  "Pragma": "no-cache",
  "Expires": "Mon, 3 Jan 2000 12:34:56 GMT",
};

const COMMON = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** The HTTP server of one call. */
export class CallServer implements PacketSink {
  #server: Deno.HttpServer<Deno.UnixAddr>;
  #gate: ConnectionGate;
  #dir: string;
  #port: number;
  #o: CallServerOptions;
  #token: string | null;
  #url: string;
  #peer = new LatestJpeg();
  #self = new LatestJpeg();
  #closing = new AbortController();
  #streams = 0;
  #ownSeq = 0;

  private constructor(
    address: { hostname: string; port: number },
    options: CallServerOptions,
  ) {
    this.#o = options;
    this.#token = options.token ?? (isLoopback(address.hostname) ? null : newToken());
    // Bound first, so a busy port fails before anything else is made.
    const listener = Deno.listen({ hostname: address.hostname, port: address.port });
    this.#port = listener.addr.port;
    try {
      this.#dir = Deno.makeTempDirSync({ prefix: "peercam-serve-" }); // 0700: this user only
      this.#server = Deno.serve({
        path: `${this.#dir}/http.sock`,
        signal: this.#closing.signal,
        automaticCompression: false, // a compressor would hold back stream parts
        onListen: () => {},
        onError: () => text(500, "Internal error"),
      }, (request, info) => this.#handle(request, info.completed));
    } catch (error) {
      listener.close();
      throw error;
    }
    const path = `${this.#dir}/http.sock`;
    this.#gate = new ConnectionGate(listener, path, {
      maxConnections: MAX_CONNECTIONS,
      firstAnswerMs: REQUEST_TIMEOUT_MS,
    });
    let host = address.hostname;
    if (host === "0.0.0.0" || host === "::") host = hostnameOrLocal();
    if (host.includes(":")) host = `[${host}]`;
    this.#url = `http://${host}:${this.#port}/${this.#query()}`;
  }

  /**
   * Starts serving.
   *
   * @param address Where to listen (`--serve`; port 0 picks a free one).
   * @param options The token, your name and the call's status.
   * @returns The running server.
   * @throws {CallError} When the address cannot be bound (a busy port, an address not of this machine).
   */
  static open(
    address: { hostname: string; port: number },
    options: CallServerOptions,
  ): CallServer {
    try {
      return new CallServer(address, options);
    } catch (error) {
      const where = `${address.hostname}:${address.port}`;
      const why = error instanceof Deno.errors.AddrInUse
        ? "the port is in use (choose another with --serve)"
        : messageOf(error);
      throw new CallError(`Cannot serve on ${where} (--serve): ${why}`, { cause: error });
    }
  }

  /** The page's URL, with the token when one is needed. */
  get url(): string {
    return this.#url;
  }

  /** The port listened on. */
  get port(): number {
    return this.#port;
  }

  /** How many MJPEG streams are open. */
  get streams(): number {
    return this.#streams;
  }

  /** Takes each received JPEG (a packet sink of the fan-out): one copy, shared by every client. */
  packet(jpeg: Uint8Array, info: FrameInfo): void {
    this.#peer.put(jpeg, info);
  }

  /**
   * Takes each of your own JPEGs (from the producer's `onFrame`), for the self-view.
   *
   * @param jpeg The bytes; only read during the call.
   * @param capturedAt Capture time, ms since the Unix epoch.
   */
  ownFrame(jpeg: Uint8Array, capturedAt: number): void {
    this.#self.put(jpeg, { seq: ++this.#ownSeq, localTime: capturedAt });
  }

  /** Ends every stream and stops the server (bounded by {@linkcode CLOSE_TIMEOUT_MS}). */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#peer.close();
    this.#self.close();
    this.#closing.abort();
    await this.#gate.close();
    await withTimeout(this.#server.finished, CLOSE_TIMEOUT_MS);
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }

  #query(): string {
    return this.#token === null ? "" : `?token=${this.#token}`;
  }

  #handle(request: Request, completed: Promise<void>): Response {
    if (request.url.length > MAX_TARGET + 64) return text(414, "Request target too long");
    const url = new URL(request.url);
    if (this.#token !== null && !tokenMatches(url.searchParams.get("token"), this.#token)) {
      return text(403, "Forbidden: this server needs the token printed at start (?token=...)");
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return text(405, "Only GET and HEAD", { Allow: "GET, HEAD" });
    }
    const action = url.pathname === "/" ? url.searchParams.get("action") : null;
    if (url.pathname === "/stream" || action === "stream") {
      return this.#stream(this.#peer, request, completed);
    }
    if (url.pathname === "/snapshot" || action === "snapshot") return this.#snapshot(this.#peer);
    if (url.pathname === "/self/stream") return this.#stream(this.#self, request, completed);
    if (url.pathname === "/self/snapshot") return this.#snapshot(this.#self);
    if (url.pathname === "/stats") return this.#stats();
    if (url.pathname === "/" && action === null) return this.#page();
    return text(404, "Not found: try /, /stream, /snapshot or /stats");
  }

  #page(): Response {
    const nonce = newToken();
    return new Response(pageHtml({ query: this.#query(), nonce }), {
      headers: {
        ...COMMON,
        ...NO_CACHE,
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": `default-src 'none'; img-src 'self'; connect-src 'self'; ` +
          `style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; base-uri 'none'; ` +
          `form-action 'none'; frame-ancestors 'none'`,
      },
    });
  }

  #stats(): Response {
    const status = this.#o.status();
    const frame = this.#peer.frame;
    const body = {
      self: this.#o.selfName,
      peer: status.peer,
      phase: status.phase,
      stats: status.stats,
      frame: frame === null
        ? null
        : { seq: frame.seq, timestamp: frame.timestamp, bytes: frame.jpeg.length },
      clients: this.#streams,
    };
    return new Response(JSON.stringify(body), {
      headers: { ...COMMON, ...NO_CACHE, "Content-Type": "application/json" },
    });
  }

  #snapshot(slot: LatestJpeg): Response {
    const frame = slot.frame;
    if (frame === null) return text(503, "No frame yet", { "Retry-After": "1" });
    return new Response(frame.jpeg, {
      headers: {
        ...COMMON,
        ...NO_CACHE,
        "Content-Type": "image/jpeg",
        "X-Timestamp": frame.timestamp.toFixed(6),
        "X-Sequence": String(frame.seq),
      },
    });
  }

  // One stream: each time the connection can take more, the newest frame
  // not sent yet (waiting for one if need be). Nothing is queued for the
  // client, so a slow one skips frames and pins at most the frame in flight.
  #stream(slot: LatestJpeg, request: Request, completed: Promise<void>): Response {
    if (this.#streams >= MAX_STREAMS) {
      return text(503, `Too many streams (at most ${MAX_STREAMS})`, { "Retry-After": "5" });
    }
    const headers = {
      ...COMMON,
      ...NO_CACHE,
      "Content-Type": `multipart/x-mixed-replace;boundary=${BOUNDARY}`,
      "Connection": "close",
    };
    if (request.method === "HEAD") return new Response(null, { headers });
    this.#streams++;
    const gone = new AbortController();
    const signal = AbortSignal.any([gone.signal, this.#closing.signal]);
    let counted = true;
    const done = (): void => {
      if (counted) this.#streams--;
      counted = false;
      gone.abort();
    };
    // A client that goes away mid-wait: the connection's end, not the body's cancel, says so.
    completed.then(done, done);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const frame = await slot.next(sent, signal);
        if (frame === null) {
          done();
          controller.close();
          return;
        }
        sent = frame.version;
        controller.enqueue(frame.partHeader);
        controller.enqueue(frame.jpeg);
        controller.enqueue(CRLF);
      },
      cancel: done,
    }, { highWaterMark: 0 });
    return new Response(body, { headers });
  }
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { ...COMMON, ...headers, "Content-Type": "text/plain; charset=utf-8" },
  });
}

function hostnameOrLocal(): string {
  try {
    return Deno.hostname();
  } catch {
    return "localhost";
  }
}
