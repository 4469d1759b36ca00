/**
 * {@linkcode Session}: one call. It owns the connections and every native
 * handle, runs capture, sending, receiving and display as separate tasks,
 * and closes everything on every way out (quit, peer hang-up, error, limit).
 *
 * ```
 *  capture ─▶ [latest] ─▶ send ══ FRAME ══▶ peer ─ ACK ─┐
 *  (read+encode)           ▲ at most MAX_IN_FLIGHT unacked │
 *                          └──────────────────────────────┘
 *  peer ══ FRAME ══▶ receive ─▶ [latest] ─▶ display (decode+show)
 * ```
 *
 * `[latest]` is a {@linkcode Latest} slot: the freshest frame wins, older
 * ones are dropped and counted, so latency stays bounded on a slow link.
 * Reading and encoding run in the capture worker ({@linkcode Producer}),
 * decoding in the decode worker ({@linkcode Decoder}); everything else,
 * the window included, runs here on the main thread.
 *
 * @module
 */

import { Frame, ShimError, Window } from "../ffi/mod.ts";
import { displayAvailable } from "./view/display.ts";
import type { Options } from "./cli.ts";
import { Acceptor } from "./net/acceptor.ts";
import { ClockEstimator } from "./net/clock.ts";
import {
  closeQuietly,
  dialPeer,
  formatAddress,
  type Greeting,
  type Link,
  listen,
} from "./net/connect.ts";
import { withTimeout } from "./async.ts";
import { Decoder } from "./receive/decoder.ts";
import { CallError, messageOf, ProtocolError } from "./errors.ts";
import { Latest } from "./latest.ts";
import { Packet } from "./packet.ts";
import { Producer } from "./send/producer.ts";
import {
  ByeReason,
  HEADER_SIZE,
  HelloFlag,
  MAX_BYE_PAYLOAD,
  MAX_FRAME_PAYLOAD,
  MessageType,
  now,
  PONG_SIZE,
} from "./net/protocol.ts";
import { formatCode } from "./net/secret.ts";
import { TAG_SIZE } from "./net/secure.ts";
import { describeSource } from "./source.ts";
import { CallStats, formatStatsLine, RateMeter, summarize } from "./stats.ts";
import type { Reporter } from "./terminal.ts";
import { withoutControlCharacters } from "./text.ts";

/** Frames sent but not yet acknowledged before the sender waits. */
export const MAX_IN_FLIGHT = 3;

/** How often each side pings the other. */
export const HEARTBEAT_MS = 1000;

/** How long a link may stay silent before it counts as dead (pings come every second). */
export const DEAD_AFTER_MS = 3000;

/** How long the goodbye and the peer's close may take when a call ends. */
export const CLOSE_TIMEOUT_MS = 1500;

/** How a call ended normally (errors are thrown as {@linkcode CallError}). */
export interface CallEnd {
  /** Why. */
  kind: "quit" | "peer-quit" | "peer-hangup" | "done" | "no-peer";
  /** One line for the user. */
  message: string;
}

const KEY_QUIT = new Set([113, 81, 27, 13, 10]); // q Q Esc Enter (CR/LF)

/** Placement details a caller may set (the demo puts two windows side by side). */
export interface SessionSettings {
  /** Where to put the window's top-left corner. */
  windowAt?: [number, number];
}

/** Largest initial window edge; bigger frames are shown scaled down. */
const MAX_WINDOW_EDGE = 1280;

/** One call, from waiting for the peer to hanging up. */
export class Session {
  #o: Options;
  #out: Reporter;
  #settings: SessionSettings;
  #stats = new CallStats();
  #abort = new AbortController();
  #started = performance.now();
  #callStarted = 0;
  #end: CallEnd | Error | undefined;
  #settle!: () => void;
  #ended = new Promise<void>((resolve) => this.#settle = resolve);

  #producer?: Producer;
  #decoder?: Decoder;
  #decoded?: Frame;
  #window?: Window;
  #acceptor?: Acceptor;
  #links: Link[] = [];
  #heard = new Map<Link, number>(); // when each link last delivered a message
  #clock = new ClockEstimator();
  #reconnecting = false;
  #linkReady: (() => void) | undefined;
  #sendLink?: Link;
  #peerName: string | null = null;
  #peerFlags = 0;

  #sendBox = new Latest([0, 1, 2].map(() => new Packet(256 * 1024)));
  #recvBox = new Latest([0, 1, 2].map(() => new Packet(256 * 1024)));
  #tasks: Promise<void>[] = [];
  #readers: Promise<void>[] = [];
  #timers: Array<ReturnType<typeof setTimeout>> = [];
  #lastSent = 0xffffffff;
  #lastAcked = 0xffffffff;
  #windowOpen: (() => void) | undefined;
  #selfSatisfied = false;
  #peerSatisfied = false;
  #peerSaidBye = false;

  /**
   * @param options The parsed command line.
   * @param reporter Where status lines and stats go.
   * @param settings Window placement.
   */
  constructor(options: Options, reporter: Reporter, settings: SessionSettings = {}) {
    this.#o = options;
    this.#out = reporter;
    this.#settings = settings;
  }

  /** The call's counters (read-only use). */
  get stats(): CallStats {
    return this.#stats;
  }

  /**
   * Runs the call to its end and releases everything.
   *
   * @returns How the call ended, for a normal end.
   * @throws {CallError} For a runtime failure, with one line for the user.
   */
  async run(): Promise<CallEnd> {
    try {
      await this.#checkDisplay();
      await this.#openSource();
      this.#startDurationTimer();
      this.#openListener();
      if (await this.#connect()) this.#startCall();
      await this.#ended;
    } catch (error) {
      this.#finish(error instanceof Error ? error : new Error(String(error)));
    } finally {
      await this.#shutdown();
    }
    const end = this.#end!;
    if (end instanceof Error) {
      if (end instanceof CallError) throw end;
      if (end instanceof ShimError) throw new CallError(end.message, { cause: end });
      throw end;
    }
    return end;
  }

  /**
   * Ends the call because the user asked to (Ctrl-C, a key, closing the window).
   *
   * @param why Shown to the user.
   */
  quit(why = "You ended the call"): void {
    this.#finish({ kind: "quit", message: why });
  }

  // --- setting up -----------------------------------------------------

  async #checkDisplay(): Promise<void> {
    if (this.#o.window && !await displayAvailable()) {
      throw new CallError(
        "No display found (DISPLAY is unset or its X server is not running): " +
          "run with --no-window to receive without showing video",
      );
    }
  }

  async #openSource(): Promise<void> {
    this.#decoder = new Decoder();
    this.#decoded = new Frame();
    this.#producer = await Producer.open(this.#o);
    if (this.#producer?.mode === "passthrough") {
      this.#out.status(
        "The source is stored as JPEG at the frame size: sending its frames as they are " +
          "(give --quality to re-encode)",
      );
    } else if (this.#producer?.mode === "transcode") {
      this.#out.status(
        `The source is stored as JPEG at the frame size: re-encoding it at quality ` +
          `${this.#o.quality} without decoding to BGR`,
      );
    }
  }

  #startDurationTimer(): void {
    const seconds = this.#o.duration;
    if (seconds === undefined) return;
    this.#timers.push(setTimeout(() => {
      if (this.#peerName === null) {
        this.#finish({
          kind: "no-peer",
          message: `No peer connected within ${seconds} s (--duration); ending`,
        });
      } else {
        this.#checkLimits();
      }
    }, seconds * 1000));
  }

  #hello(): Greeting {
    const o = this.#o;
    let flags = 0;
    if (o.listen && o.peer) flags |= HelloFlag.DUAL;
    if (o.frames !== undefined || o.duration !== undefined) flags |= HelloFlag.LIMIT;
    if (o.source.kind !== "none") flags |= HelloFlag.VIDEO;
    return { flags, name: o.name, code: o.code };
  }

  #announceSecurity(): void {
    const o = this.#o;
    if (o.code === undefined) {
      this.#out.status(
        "Warning: this call is not encrypted: anyone on the network path can watch it" +
          (o.listen ? `, and anyone who can reach port ${o.listen.port} can join it` : "") +
          "; use --secret (make a code with --new-code)",
      );
    } else if (o.newCode) {
      this.#out.status(
        `Secret code for this call: ${formatCode(o.code)} ` +
          `(give it to the peer: --secret ${formatCode(o.code)}, or PEERCAM_SECRET)`,
      );
    }
  }

  // Opens the listening port (for the whole call) and says what it waits for.
  #openListener(): void {
    const o = this.#o;
    this.#announceSecurity();
    if (o.listen) {
      const listener = listen(o.listen);
      const addr = listener.addr as Deno.NetAddr;
      this.#acceptor = new Acceptor(listener, {
        hello: this.#hello(),
        onRejected: (remote, reason) =>
          this.#out.status(`Turned away a connection from ${remote}: ${reason}`),
      });
      this.#out.status(
        o.peer
          ? `Listening on ${formatAddress(addr)} and calling ${formatAddress(o.peer)}`
          : `Waiting for the peer on ${formatAddress(addr)} ` +
            `(start the other side with --peer THIS-HOST:${addr.port})`,
      );
    } else if (o.peer) {
      this.#out.status(`Calling ${formatAddress(o.peer)}`);
    }
  }

  // Makes the call's connections: one (listen or dial) or two (both), at the
  // start and after a connection is lost. Returns false when the call ended
  // first.
  async #connect(): Promise<boolean> {
    const o = this.#o;
    const hello = this.#hello();
    const signal = this.#abort.signal;
    let lastNotice = performance.now();
    const waitingSince = performance.now();
    const dual = Boolean(o.listen && o.peer);
    // Each link is checked as soon as it is greeted, so a peer started the
    // wrong way is reported at once instead of after a wait that never ends.
    const checked = (link: Link | null): Link | null => {
      if (link && Boolean(link.peer.flags & HelloFlag.DUAL) !== dual) {
        closeQuietly(link.conn);
        throw new CallError(
          `The peer at ${link.remote} was started with ` +
            (dual
              ? "only one of --listen/--peer, this side with both"
              : "both --listen and --peer, " +
                "this side with one") +
            ": give both sides both flags, or one side --listen and the other --peer",
        );
      }
      return link;
    };
    const dialing = o.peer
      ? dialPeer(o.peer, {
        hello,
        signal,
        onRetry: (reason, attempt) => {
          const t = performance.now();
          if (attempt === 1 || t - lastNotice >= 10_000) {
            lastNotice = t;
            const waited = Math.round((t - waitingSince) / 1000);
            this.#out.status(
              `Waiting for the peer at ${formatAddress(o.peer!)} (${reason}; ` +
                `${attempt === 1 ? "retrying until it answers" : `${waited} s so far`})`,
            );
          }
        },
      }).then(checked)
      : Promise.resolve(null);
    const accepting = this.#acceptor ? this.#acceptor.next().then(checked) : Promise.resolve(null);
    // If either side fails, stop the other so nothing is left pending.
    const stopAll = (error: unknown): never => {
      this.#finish(error instanceof Error ? error : new Error(String(error)));
      throw error;
    };
    const ended = this.#ended.then(() => null);
    const [dialed, accepted] = await Promise.race([
      Promise.all([dialing.catch(stopAll), accepting.catch(stopAll)]),
      ended.then(() => [null, null] as const),
    ]);
    if (this.#end !== undefined || (o.peer && !dialed) || (o.listen && !accepted)) {
      // A connection that completes after the call ended must not linger.
      for (const pending of [dialing, accepting]) {
        pending.then((link) => link && closeQuietly(link.conn)).catch(() => {});
      }
      return false;
    }
    const links = [dialed, accepted].filter((l): l is Link => l !== null);
    const first = links[0]!;
    this.#links = links;
    this.#sendLink = first;
    this.#peerName = first.peer.name;
    this.#peerFlags = first.peer.flags;
    return true;
  }

  // --- the call ---------------------------------------------------------

  #startCall(): void {
    const o = this.#o;
    this.#callStarted = performance.now();
    const peer = this.#peerName!;
    this.#out.status(
      `In a call with ${JSON.stringify(peer)} at ${this.#sendLink!.remote}` +
        (this.#sendLink!.secure ? ", encrypted" : ", not encrypted") +
        (o.source.kind === "none" ? " (watching only)" : `, sending ${describeSource(o.source)}`) +
        (o.window ? "; press q in the window or Ctrl-C to end" : "; Ctrl-C to end"),
    );
    if (!(this.#peerFlags & HelloFlag.VIDEO)) {
      this.#out.status("The peer has no source (--source none): it will send no video");
    }
    if (o.window) this.#openWindow(peer);
    if (this.#producer) {
      const ended = (): void => this.#out.status("The source has ended; still receiving");
      const capturing = this.#producer.run(this.#sendBox, this.#abort.signal, ended);
      this.#tasks.push(this.#track(capturing), this.#track(this.#sendLoop()));
    }
    this.#tasks.push(this.#track(this.#displayLoop()));
    this.#attach();
    // Heartbeats: a ping a second on every link, and a watchdog for silence.
    this.#timers.push(setInterval(() => this.#heartbeat(), HEARTBEAT_MS));
    if (o.stats) this.#startStats(o.stats);
    this.#checkLimits();
  }

  #track(task: Promise<void>): Promise<void> {
    return task.catch((error) => this.#failed(error));
  }

  // Starts reading the current links.
  #attach(): void {
    const t = performance.now();
    for (const link of this.#links) {
      this.#heard.set(link, t);
      this.#readers.push(this.#track(this.#readLoop(link)));
      // A first ping at once: the clock offset is known before the first frames.
      link.writer.writeEmpty(MessageType.PING).catch(() => {});
    }
    // Wake a sender waiting for a link, or for acknowledgements on a dead one.
    for (const wake of [this.#linkReady, this.#windowOpen]) wake?.();
    this.#linkReady = this.#windowOpen = undefined;
  }

  #heartbeat(): void {
    const t = performance.now();
    for (const link of this.#links) {
      if (t - (this.#heard.get(link) ?? t) > DEAD_AFTER_MS) {
        this.#linkFailed(link, new Error(`nothing from the peer for ${DEAD_AFTER_MS / 1000} s`));
        return;
      }
      link.writer.writeEmpty(MessageType.PING).catch(() => {});
    }
  }

  // A connection broke (not a goodbye): drop the links and make new ones,
  // for up to --reconnect-timeout, while capture and display carry on.
  async #reconnect(reason: string): Promise<void> {
    const o = this.#o;
    if (o.reconnectTimeout <= 0) {
      this.#finish(new CallError(`Lost the connection to the peer: ${reason}`));
      return;
    }
    this.#reconnecting = true;
    const since = performance.now();
    for (const link of this.#links) closeQuietly(link.conn);
    this.#links = [];
    this.#heard.clear();
    this.#acks.clear();
    this.#sendLink = undefined;
    this.#lastSent = this.#lastAcked = 0xffffffff;
    this.#peerSatisfied = false;
    this.#clock.reset();
    this.#out.status(
      `Lost the connection to the peer (${reason}); reconnecting for up to ${o.reconnectTimeout} s`,
    );
    const deadline = setTimeout(() => {
      this.#finish(
        new CallError(
          `The peer did not come back within ${o.reconnectTimeout} s (--reconnect-timeout): ${reason}`,
        ),
      );
    }, o.reconnectTimeout * 1000);
    try {
      if (!await this.#connect()) return;
    } finally {
      clearTimeout(deadline);
    }
    this.#reconnecting = false;
    this.#stats.reconnects++;
    this.#out.status(
      `Reconnected to ${JSON.stringify(this.#peerName)} after ` +
        `${((performance.now() - since) / 1000).toFixed(1)} s` +
        (this.#sendLink!.secure ? ", encrypted with fresh keys" : ""),
    );
    this.#attach();
    this.#checkLimits();
  }

  #openWindow(peer: string): void {
    this.#window = new Window(`peercam:${this.#o.name}:${Deno.pid}`, `peercam: ${peer}`);
    const at = this.#settings.windowAt;
    if (at) this.#window.move(at[0], at[1]);
    // Keep the GUI responsive (keys, close button) even when no frame arrives.
    this.#timers.push(setInterval(() => this.#pumpWindow(), 20));
  }

  #pumpWindow(): void {
    const win = this.#window;
    if (!win || win.closed || this.#end !== undefined) return;
    const key = win.pollKey(1);
    if (key >= 0 && KEY_QUIT.has(key & 0xff)) this.quit("You ended the call");
    else if (!win.visible) this.quit("You closed the window");
  }

  async #sendLoop(): Promise<void> {
    const box = this.#sendBox;
    while (this.#end === undefined) {
      // While reconnecting there is nowhere to send: wait for new links.
      let link = this.#sendLink;
      while (link === undefined && this.#end === undefined) {
        await new Promise<void>((resolve) => this.#linkReady = resolve);
        link = this.#sendLink;
      }
      // Wait for the peer to acknowledge, so frames never queue in TCP buffers.
      while (
        this.#inFlight() >= MAX_IN_FLIGHT && this.#end === undefined && this.#sendLink === link
      ) {
        await new Promise<void>((resolve) => this.#windowOpen = resolve);
      }
      if (link === undefined || this.#sendLink !== link) continue;
      const packet = await box.take();
      if (packet === undefined) return;
      const seq = (this.#lastSent + 1) >>> 0;
      // Counted as sent before the write completes: the peer may take the
      // frame and acknowledge it before this task runs again, and an
      // acknowledgement for a frame not yet counted would be ignored.
      this.#lastSent = seq;
      try {
        await link.writer.writeFrame(packet.data, packet.length, seq, packet.timestamp);
      } catch (error) {
        this.#linkFailed(link, error);
        continue;
      } finally {
        box.release(packet);
      }
      if (this.#sendLink !== link) continue; // it broke meanwhile: counters were reset
      this.#stats.framesSent++;
      this.#stats.bytesSent += HEADER_SIZE + packet.length;
    }
  }

  #inFlight(): number {
    return (this.#lastSent - this.#lastAcked) >>> 0;
  }

  #onAck(seq: number): void {
    // Ignore acknowledgements of frames not sent yet (a confused peer).
    if (((this.#lastSent - seq) >>> 0) >= this.#inFlight()) return;
    this.#lastAcked = seq;
    const wake = this.#windowOpen;
    this.#windowOpen = undefined;
    wake?.();
  }

  async #readLoop(link: Link): Promise<void> {
    const box = this.#recvBox;
    const stats = this.#stats;
    const bye = new Uint8Array(MAX_BYE_PAYLOAD + TAG_SIZE);
    const pong = new Uint8Array(PONG_SIZE + TAG_SIZE);
    while (true) {
      let header;
      try {
        header = await link.reader.readHeader();
      } catch (error) {
        this.#linkFailed(link, error);
        return;
      }
      if (header === null) {
        // Closed without a goodbye: the peer crashed or was killed (with a
        // goodbye, the call has already ended). It may come back.
        if (this.#o.reconnectTimeout <= 0 && this.#links.includes(link)) {
          this.#finish({
            kind: "peer-hangup",
            message: `The peer hung up (${link.remote} closed the connection)`,
          });
        }
        this.#linkFailed(link, new Error("it closed the connection without a goodbye"));
        return;
      }
      const arrival = now();
      this.#heard.set(link, performance.now());
      try {
        switch (header.type) {
          case MessageType.PING:
            link.writer.writePong(header.timestamp, arrival).catch(() => {});
            break;
          case MessageType.PONG: {
            await link.reader.readPayload(pong);
            const view = new DataView(pong.buffer);
            this.#clock.add(view.getFloat64(0), view.getFloat64(8), header.timestamp, arrival);
            this.#stats.rttMs = this.#clock.rttMs;
            this.#stats.clockOffsetMs = this.#clock.offsetMs;
            break;
          }
          case MessageType.FRAME: {
            const packet = box.acquire();
            try {
              packet.reserve(header.length + link.reader.overhead, MAX_FRAME_PAYLOAD + TAG_SIZE);
              packet.seq = header.seq;
              packet.timestamp = header.timestamp;
              packet.length = header.length;
              await link.reader.readPayload(packet.payload);
            } catch (error) {
              box.release(packet);
              throw error;
            }
            stats.framesReceived++;
            stats.bytesReceived += HEADER_SIZE + header.length;
            this.#producer?.peerCaptured(
              this.#clock.toLocal(header.timestamp) - performance.timeOrigin,
            );
            packet.from = link;
            box.publish(packet);
            stats.droppedReceiving = box.dropped;
            break;
          }
          case MessageType.ACK:
            this.#onAck(header.seq);
            break;
          case MessageType.SATISFIED:
            this.#peerSatisfied = true;
            this.#checkLimits();
            break;
          case MessageType.CONFIRM:
            throw new ProtocolError("Unexpected key confirmation in the middle of a call");
          case MessageType.BYE: {
            const length = header.length;
            if (length > 0) await link.reader.readPayload(bye);
            this.#onBye(length > 0 ? bye[0]! : ByeReason.QUIT, bye.subarray(1, length));
            break;
          }
        }
      } catch (error) {
        this.#linkFailed(link, error);
        return;
      }
    }
  }

  // One acknowledgement in flight per link, always for the newest frame
  // taken, so a peer that stops reading cannot make them pile up.
  #acks = new Map<Link, { writing: boolean; seq: number }>();

  #ack(link: Link, seq: number): void {
    let state = this.#acks.get(link);
    if (!state) this.#acks.set(link, state = { writing: false, seq });
    state.seq = seq;
    if (state.writing || this.#end !== undefined) return;
    state.writing = true;
    const written = seq;
    link.writer.writeEmpty(MessageType.ACK, written).then(() => {
      state.writing = false;
      if (state.seq !== written) this.#ack(link, state.seq);
    }, () => state.writing = false); // the link failed; reconnecting resets all this
  }

  #onBye(reason: number, text: Uint8Array): void {
    this.#peerSaidBye = true;
    const detail = withoutControlCharacters(new TextDecoder().decode(text));
    const peer = JSON.stringify(this.#peerName ?? "the peer");
    if (reason === ByeReason.DONE) {
      this.#finish({ kind: "done", message: "Call complete: every limit was reached" });
    } else if (reason === ByeReason.ERROR) {
      this.#finish(new CallError(`The peer ${peer} ended the call after an error: ${detail}`));
    } else {
      this.#finish({ kind: "peer-quit", message: `${peer} ended the call` });
    }
  }

  async #displayLoop(): Promise<void> {
    const box = this.#recvBox;
    const decoder = this.#decoder!, frame = this.#decoded!;
    const stats = this.#stats;
    let warned = false;
    let shownWidth = 0, shownHeight = 0;
    while (true) {
      const packet = await box.take();
      if (packet === undefined) return;
      // Acknowledge on take, not on arrival: the sender then sends about as
      // fast as frames are shown, so neither side works on frames that would
      // only be dropped.
      if (packet.from) this.#ack(packet.from, packet.seq);
      const timestamp = packet.timestamp;
      try {
        await decoder.decode(packet, frame);
      } catch (error) {
        if (!(error instanceof ShimError)) throw error;
        stats.decodeErrors++;
        if (!warned) this.#out.status(`Received a frame that does not decode: ${error.message}`);
        warned = true;
        continue;
      } finally {
        box.release(packet);
      }
      if (this.#end !== undefined) return;
      const width = frame.width, height = frame.height;
      const win = this.#window;
      if (win) {
        if (width !== shownWidth || height !== shownHeight) {
          // Fit the window to the peer's frames whenever their size changes.
          const scale = Math.min(1, MAX_WINDOW_EDGE / Math.max(width, height));
          win.resize(Math.round(width * scale), Math.round(height * scale));
          shownWidth = width;
          shownHeight = height;
        }
        win.show(frame);
        this.#pumpWindow();
      }
      // Until the first heartbeat answer, the peer's clock is unknown.
      if (this.#clock.rttMs !== null) stats.recordLatency(this.#clock.toLocal(timestamp), now());
      stats.framesDecoded++;
      stats.frameWidth = width;
      stats.frameHeight = height;
      if (this.#o.frames !== undefined && !this.#selfSatisfied) this.#checkLimits();
    }
  }

  #checkLimits(): void {
    if (this.#end !== undefined || this.#peerName === null) return;
    const o = this.#o;
    const selfLimited = o.frames !== undefined || o.duration !== undefined;
    if (selfLimited && !this.#selfSatisfied) {
      const elapsed = (performance.now() - this.#started) / 1000;
      if (
        (o.frames !== undefined && this.#stats.framesDecoded >= o.frames) ||
        (o.duration !== undefined && elapsed >= o.duration)
      ) {
        this.#selfSatisfied = true;
        for (const link of this.#links) {
          link.writer.writeEmpty(MessageType.SATISFIED).catch(() => {});
        }
      }
    }
    const peerLimited = Boolean(this.#peerFlags & HelloFlag.LIMIT);
    if (!selfLimited && !peerLimited) return;
    if ((!selfLimited || this.#selfSatisfied) && (!peerLimited || this.#peerSatisfied)) {
      this.#finish({ kind: "done", message: "Call complete: every limit was reached" });
    }
  }

  #startStats(mode: "text" | "json"): void {
    const meter = new RateMeter(this.#stats, performance.now());
    this.#timers.push(setInterval(() => {
      this.#stats.droppedSending = this.#sendBox.dropped;
      const line = meter.sample(performance.now(), new Date());
      if (mode === "json") this.#out.json(line);
      else this.#out.live(formatStatsLine(line));
    }, 1000));
  }

  // --- ending -----------------------------------------------------------

  #linkFailed(link: Link, error: unknown): void {
    // Only the current links matter: old ones fail as they are torn down.
    if (this.#end !== undefined || this.#reconnecting || !this.#links.includes(link)) return;
    const reset = error instanceof Deno.errors.ConnectionReset ||
      error instanceof Deno.errors.BrokenPipe;
    const reason = reset ? "connection reset" : messageOf(error);
    this.#reconnect(`${link.remote}: ${reason}`).catch((e) => this.#failed(e));
  }

  #failed(error: unknown): void {
    this.#finish(error instanceof Error ? error : new Error(String(error)));
  }

  #finish(end: CallEnd | Error): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#abort.abort();
    this.#sendBox.close();
    this.#recvBox.close();
    for (const wake of [this.#windowOpen, this.#linkReady]) wake?.();
    this.#windowOpen = this.#linkReady = undefined;
    this.#settle();
  }

  async #shutdown(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    await this.#acceptor?.close();
    const end = this.#end;
    // Say goodbye and half-close, then let the peer close first, so neither
    // side's kernel resets a connection that still holds unread data.
    if (!this.#peerSaidBye && this.#links.length > 0) {
      const reason = end instanceof Error
        ? ByeReason.ERROR
        : end?.kind === "done"
        ? ByeReason.DONE
        : ByeReason.QUIT;
      const text = end instanceof Error ? end.message : "";
      await withTimeout(
        Promise.all(this.#links.map((link) => link.writer.writeBye(reason, text).catch(() => {}))),
        CLOSE_TIMEOUT_MS,
      );
    }
    // A peer that stopped reading must not hold the goodbye up forever.
    await withTimeout(
      Promise.all(this.#links.map((link) => link.writer.flush())),
      CLOSE_TIMEOUT_MS,
    );
    for (const link of this.#links) {
      try {
        await link.conn.closeWrite();
      } catch {
        // Already closed by the peer.
      }
    }
    await withTimeout(Promise.all(this.#readers), CLOSE_TIMEOUT_MS);
    for (const link of this.#links) closeQuietly(link.conn);
    await withTimeout(Promise.all(this.#tasks), CLOSE_TIMEOUT_MS);
    this.#window?.close();
    // Native calls still in flight free their handles when they return.
    for (
      const native of [this.#producer, this.#decoder, this.#decoded]
    ) {
      native?.close();
    }
    this.#stats.droppedSending = this.#sendBox.dropped;
    if (this.#o.stats === "json") {
      this.#out.json(summarize(this.#stats, {
        peer: this.#peerName,
        end: end instanceof Error ? "error" : end?.kind ?? "error",
        durationMs: this.#callStarted > 0 ? performance.now() - this.#callStarted : 0,
      }));
    }
  }
}
