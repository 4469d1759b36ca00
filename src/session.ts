/**
 * {@linkcode Session}: one call, as the composition of its parts. It builds
 * them from narrow slices of the options, owns the abort signal, routes
 * events between them, and shuts them down in one fixed order.
 *
 * ```
 *  Producer ─▶ [latest] ─▶ Sender ══ FRAME ══▶ peer          (src/send)
 *     └─▶ self-view, --serve,        ▲ ACK
 *         Recorder (track 2)
 *  peer ══ FRAME ══▶ Receiver ─▶ [latest] ─▶ Fanout ─▶ sinks  (src/receive)
 *                                     packet sinks: last JPEG (snapshots),
 *                                       CallServer (src/serve, --serve),
 *                                       Recorder (src/record, --record and r)
 *                                     picture sinks: CallWindow or TerminalView (src/view)
 *  Connector ─▶ PeerLink per connection, Heartbeat, LinkState (src/net)
 * ```
 *
 * @module
 */

import { Frame, ShimError } from "../ffi/mod.ts";
import { CLOSE_TIMEOUT_MS, withTimeout } from "./async.ts";
import { byeFor, type CallEnd, DONE, endForBye } from "./call/ending.ts";
import { CallControls } from "./call/controls.ts";
import { CallLimits } from "./call/limits.ts";
import {
  inCallText,
  notBackText,
  reconnectedText,
  reconnectingText,
  securityNotice,
  sourceModeText,
} from "./call/status.ts";
import type { Options } from "./cli.ts";
import { CallError, messageOf } from "./errors.ts";
import { Latest } from "./latest.ts";
import { Connector } from "./net/connector.ts";
import { Heartbeat } from "./net/heartbeat.ts";
import { LinkState } from "./net/link_state.ts";
import type { PeerLink } from "./net/peer_link.ts";
import { HelloFlag, MessageType } from "./net/protocol.ts";
import { hangUp } from "./net/goodbye.ts";
import { Packet } from "./packet.ts";
import { Decoder } from "./receive/decoder.ts";
import { Fanout } from "./receive/fanout.ts";
import { LastJpeg } from "./receive/last_jpeg.ts";
import { Receiver } from "./receive/receiver.ts";
import { Recorder } from "./record/recorder.ts";
import { Producer } from "./send/producer.ts";
import { RateController } from "./send/rate_controller.ts";
import { Sender } from "./send/sender.ts";
import { CallServer } from "./serve/http_server.ts";
import { describeSource } from "./source.ts";
import { CallStats, formatStatsLine, RateMeter, type StatsLine, summarize } from "./stats.ts";
import type { Reporter } from "./terminal.ts";
import { CallWindow } from "./view/call_window.ts";
import { displayAvailable } from "./view/display.ts";
import { TerminalView } from "./view/terminal_view.ts";
import type { CallView } from "./view/call_view.ts";
import type { SelfView } from "./view/self_view.ts";
import { checkSnapshotDir } from "./view/snapshot.ts";

export type { CallEnd } from "./call/ending.ts";

/** Placement details a caller may set (the demo puts two windows side by side). */
export interface SessionSettings {
  /** Where to put the window's top-left corner. */
  windowAt?: [number, number];
}

/** One call, from waiting for the peer to hanging up. */
export class Session {
  #o: Options;
  #out: Reporter;
  #settings: SessionSettings;
  #abort = new AbortController();
  #started = performance.now();
  #callStarted = 0;
  #end: CallEnd | Error | undefined;
  #settle!: () => void;
  #ended = new Promise<void>((resolve) => this.#settle = resolve);

  // The parts.
  #stats = new CallStats();
  #limits: CallLimits;
  #linkState: LinkState;
  #sendBox = new Latest([0, 1, 2].map(() => new Packet(256 * 1024)));
  #recvBox = new Latest([0, 1, 2].map(() => new Packet(256 * 1024)));
  #sender: Sender;
  #rate?: RateController;
  #receiver: Receiver;
  #heartbeat: Heartbeat;
  #lastJpeg = new LastJpeg();
  #producer?: Producer;
  #decoder?: Decoder;
  #decoded?: Frame;
  #view?: CallView;
  #selfView?: SelfView;
  #controls: CallControls;
  #connector?: Connector;
  #recorder: Recorder;
  #server?: CallServer;
  #lastStats: StatsLine | null = null;

  // The current connections and what the peer said in them.
  #links: PeerLink[] = [];
  #peerName: string | null = null;
  #peerFlags = 0;
  #peerSaidBye = false;

  #tasks: Promise<void>[] = [];
  #readers: Promise<void>[] = [];
  #timers: Array<ReturnType<typeof setTimeout>> = [];

  /**
   * @param options The parsed command line.
   * @param reporter Where status lines and stats go.
   * @param settings Window placement.
   */
  constructor(options: Options, reporter: Reporter, settings: SessionSettings = {}) {
    this.#o = options;
    this.#out = reporter;
    this.#settings = settings;
    this.#limits = new CallLimits(options);
    this.#linkState = new LinkState(options.reconnectTimeout, this.#started);
    this.#heartbeat = new Heartbeat({
      links: () => this.#links,
      onDead: (link, error) => this.#linkFailed(link, error),
    });
    if (options.adapt && options.source.kind !== "none") {
      this.#rate = new RateController({
        ceiling: {
          quality: options.quality,
          width: options.width,
          height: options.height,
          fps: options.fps,
        },
        degrade: options.degrade,
        maxKbps: options.maxKbps,
        asStored: options.passthrough,
      });
    }
    this.#sender = new Sender(
      this.#sendBox,
      this.#stats,
      this.#rate && { controller: this.#rate, clock: this.#heartbeat.clock },
    );
    this.#recorder = new Recorder({
      path: options.record ?? `${options.snapshotDir.replace(/\/+$/, "")}/peercam.mkv`,
      // With no source, there is nothing of this side's to record.
      peerOnly: options.recordPeerOnly || options.source.kind === "none",
      keys: options.window || options.view === "terminal",
      status: (line) => this.#out.status(line),
      sentSize: [options.width, options.height],
    });
    this.#controls = new CallControls({
      sender: this.#sender,
      links: () => this.#links,
      lastJpeg: this.#lastJpeg,
      snapshotDir: options.snapshotDir,
      peerName: () => this.#peerName,
      toggleRecording: () => this.#recorder.toggle(),
      view: () => this.#view,
      quit: (why) => this.quit(why),
      status: (line) => this.#out.status(line),
    });
    this.#receiver = new Receiver(this.#recvBox, this.#stats, {
      frame: (timestamp) =>
        this.#producer?.peerCaptured(
          this.#heartbeat.clock.toLocal(timestamp) - performance.timeOrigin,
        ),
      ack: (link, seq, times) => this.#sender.acked(link, seq, times),
      pong: (t1, t2, t3, t4) => {
        const clock = this.#heartbeat.clock;
        clock.add(t1, t2, t3, t4);
        this.#stats.rttMs = clock.rttMs;
        this.#stats.clockOffsetMs = clock.offsetMs;
      },
      satisfied: () => {
        this.#limits.peerSatisfied = true;
        this.#checkLimits();
      },
      video: (paused) => this.#view?.setCard(paused ? "paused" : "waiting"),
      bye: (reason, text) => this.#onBye(reason, text),
      closed: (link) => {
        // Closed without a goodbye: the peer crashed or was killed (with a
        // goodbye, the call has already ended). It may come back.
        if (this.#o.reconnectTimeout <= 0 && this.#links.includes(link)) {
          this.#finish({
            kind: "peer-hangup",
            message: `The peer hung up (${link.remote} closed the connection)`,
          });
        }
        this.#linkFailed(link, new Error("it closed the connection without a goodbye"));
      },
      failed: (link, error) => this.#linkFailed(link, error),
    });
  }

  /**
   * Runs the call to its end and releases everything.
   *
   * @returns How the call ended, for a normal end.
   * @throws {CallError} For a runtime failure, with one line for the user.
   */
  async run(): Promise<CallEnd> {
    try {
      await this.#prepare();
      this.#startDurationTimer();
      const notice = securityNotice({
        code: this.#o.code,
        newCode: this.#o.newCode,
        listenPort: this.#o.listen?.port,
      });
      if (notice) this.#out.status(notice);
      this.#connector = new Connector({
        listen: this.#o.listen,
        peer: this.#o.peer,
        relay: this.#o.relay,
        hello: this.#hello(),
        status: (line) => this.#out.status(line),
      });
      const links = await this.#connector.connect(this.#abort.signal);
      this.#stats.path = this.#connector.path;
      if (links) this.#startCall(links);
      await this.#ended;
    } catch (error) {
      this.#failed(error);
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

  // Everything that can fail before the network is touched: the display,
  // the snapshot directory, the source; then the window (showing the
  // waiting card and the self-view) and the capture.
  async #prepare(): Promise<void> {
    const o = this.#o;
    if (o.window && !await displayAvailable()) {
      throw new CallError(
        "No display found (DISPLAY is unset or its X server is not running): " +
          "run with --view terminal to watch in this terminal, or --no-window to receive " +
          "without showing video",
      );
    }
    if (o.window || o.view === "terminal") await checkSnapshotDir(o.snapshotDir);
    // The file is claimed now, so a path that cannot be written fails at
    // start; it fills from the call's first frame.
    if (o.record) await this.#recorder.start();
    this.#decoder = new Decoder();
    this.#decoded = new Frame();
    this.#producer = await Producer.open(o);
    if (o.serve) this.#openServer(o.serve, o.serveToken);
    if (this.#producer) {
      const line = sourceModeText(this.#producer.mode, o.quality);
      if (line) this.#out.status(line);
    }
    if (o.window) this.#openWindow();
    if (o.view === "terminal") this.#openTerminal();
    // With a window or --serve, capture starts now for the self-view; frames
    // go out once there is a link.
    if (this.#selfView || this.#server) this.#startCapture();
  }

  // --serve: bound before the network is touched, so a busy port fails at start.
  #openServer(address: { hostname: string; port: number }, token?: string): void {
    this.#server = CallServer.open(address, {
      token,
      selfName: this.#o.name,
      status: () => ({
        peer: this.#peerName,
        phase: this.#peerName === null ? "waiting for the peer" : this.#linkState.phase,
        stats: this.#lastStats,
      }),
    });
    this.#out.status(`Serving the call at ${this.#server.url} (MJPEG: /stream, /snapshot)`);
  }

  // --view terminal: the peer's video in this terminal; status lines go to its last row.
  #openTerminal(): void {
    const view = new TerminalView({
      graphics: this.#o.termGraphics,
      env: Deno.env.toObject(),
      onAction: (action) => this.#controls.act(action),
      onRestored: () => this.#out.route?.(null),
    });
    this.#view = view;
    this.#out.route?.(view);
    this.#fanout().addPictureSink(view);
  }

  #openWindow(): void {
    const o = this.#o;
    const window = new CallWindow({
      id: `peercam:${o.name}:${Deno.pid}`,
      at: this.#settings.windowAt,
      size: { width: o.width, height: o.height },
      selfView: o.selfView,
      hud: o.hud,
      onAction: (action) => this.#controls.act(action),
      onClosed: () => this.quit("You closed the window"),
    });
    this.#view = window;
    this.#selfView = window.selfView;
    this.#fanout().addPictureSink(window);
  }

  #fanoutPart?: Fanout;

  #fanout(): Fanout {
    return this.#fanoutPart ??= new Fanout({
      decoder: this.#decoder!,
      frame: this.#decoded!,
      stats: this.#stats,
      clock: this.#heartbeat.clock,
      ack: (packet) => packet.from?.ack(packet.seq, packet.firstByteTime, packet.lastByteTime),
      onDecodeError: (message) =>
        this.#out.status(`Received a frame that does not decode: ${message}`),
      onShown: () => {
        if (this.#limits.countsFrames) this.#checkLimits();
      },
    });
  }

  #startCapture(): void {
    const producer = this.#producer;
    if (!producer || this.#tasks.length > 0) return;
    const selfView = this.#selfView;
    const server = this.#server;
    const recorder = this.#recorder;
    const rate = this.#rate;
    const sending = this.#stats.sending;
    const capturing = producer.run(this.#sendBox, this.#abort.signal, {
      onEnd: () => this.#out.status("The source has ended; still receiving"),
      setting: rate && (() => rate.setting()),
      onFrame: (packet) => {
        rate?.produced(packet.length, packet);
        sending.quality = packet.quality;
        sending.width = packet.width;
        sending.height = packet.height;
        const jpeg = packet.payload.subarray(0, packet.length);
        selfView?.offer(jpeg, packet.width || this.#o.width); // smaller while degraded
        server?.ownFrame(jpeg, packet.timestamp);
        // What is sent: frames once in the call, not while paused.
        if (this.#callStarted > 0 && !this.#sender.paused) recorder.sent(jpeg, packet.timestamp);
      },
    });
    this.#tasks.push(
      this.#track(capturing),
      this.#track(this.#sender.run((link, error) => this.#linkFailed(link, error))),
    );
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

  #hello(): { flags: number; name: string; code?: string } {
    const o = this.#o;
    let flags = 0;
    if (o.listen && o.peer) flags |= HelloFlag.DUAL;
    if (this.#limits.limited) flags |= HelloFlag.LIMIT;
    if (o.source.kind !== "none") flags |= HelloFlag.VIDEO;
    return { flags, name: o.name, code: o.code };
  }

  // --- the call ---------------------------------------------------------

  #startCall(links: PeerLink[]): void {
    const o = this.#o;
    this.#callStarted = performance.now();
    this.#linkState.connected(this.#callStarted);
    const first = links[0]!;
    this.#out.status(inCallText({
      peerName: first.peer.name,
      remote: first.remote,
      secure: first.secure,
      sending: o.source.kind === "none" ? null : describeSource(o.source),
      window: o.window,
    }));
    if (!(first.peer.flags & HelloFlag.VIDEO)) {
      this.#out.status("The peer has no source (--source none): it will send no video");
    }
    const fanout = this.#fanout();
    fanout.addPacketSink(this.#lastJpeg);
    fanout.addPacketSink(this.#recorder);
    fanout.addPictureSink(this.#recorder); // the peer's decoded size: its track's size
    if (this.#server) fanout.addPacketSink(this.#server);
    this.#startCapture();
    this.#tasks.push(this.#track(fanout.run(this.#recvBox, this.#abort.signal)));
    this.#attach(links);
    this.#heartbeat.start();
    if (o.stats || this.#view || this.#server) this.#startStats();
    this.#checkLimits();
  }

  #track(task: Promise<void>): Promise<void> {
    return task.catch((error) => this.#failed(error));
  }

  // Puts new links to work: reading, the first ping, sending on the first.
  #attach(links: PeerLink[]): void {
    this.#links = links;
    const first = links[0]!;
    this.#peerName = first.peer.name;
    this.#peerFlags = first.peer.flags;
    this.#limits.peerLimited = Boolean(this.#peerFlags & HelloFlag.LIMIT);
    for (const link of links) {
      this.#readers.push(this.#receiver.read(link));
      this.#heartbeat.greet(link);
      if (this.#sender.paused) link.send(MessageType.PAUSED);
    }
    this.#sender.use(first);
    const view = this.#view;
    if (view) {
      view.setPeer(first.peer.name, first.secure);
      view.setCard(this.#peerFlags & HelloFlag.VIDEO ? "waiting" : "no-video");
      view.update({ phase: "connected" });
    }
  }

  // A connection broke (not a goodbye): drop the links and make new ones,
  // for up to --reconnect-timeout, while capture and display carry on.
  #linkFailed(link: PeerLink, error: unknown): void {
    // Only the current links matter: old ones fail as they are torn down.
    if (this.#end !== undefined || !this.#links.includes(link)) return;
    const reset = error instanceof Deno.errors.ConnectionReset ||
      error instanceof Deno.errors.BrokenPipe;
    const reason = `${link.remote}: ${reset ? "connection reset" : messageOf(error)}`;
    const loss = this.#linkState.lost(reason, performance.now());
    if (loss.action === "ignore") return;
    if (loss.action === "give-up") {
      this.#finish(new CallError(`Lost the connection to the peer: ${reason}`));
      return;
    }
    this.#reconnect(reason).catch((e) => this.#failed(e));
  }

  async #reconnect(reason: string): Promise<void> {
    const timeoutS = this.#o.reconnectTimeout;
    for (const link of this.#links) link.close();
    this.#links = [];
    this.#sender.use(undefined);
    this.#heartbeat.reset();
    this.#limits.resetPeer();
    this.#view?.setCard("reconnecting");
    this.#view?.update({ phase: "reconnecting" });
    this.#out.status(reconnectingText(reason, timeoutS));
    const deadline = setTimeout(
      () => this.#finish(new CallError(notBackText(timeoutS, reason))),
      timeoutS * 1000,
    );
    let links;
    try {
      links = await this.#connector!.connect(this.#abort.signal);
    } finally {
      clearTimeout(deadline);
    }
    if (!links || this.#end !== undefined) {
      for (const link of links ?? []) link.close();
      return;
    }
    const took = this.#linkState.connected(performance.now()) ?? 0;
    this.#stats.reconnects++;
    this.#stats.path = this.#connector!.path;
    this.#out.status(reconnectedText(links[0]!.peer.name, took, links[0]!.secure));
    this.#attach(links);
    this.#checkLimits();
  }

  #onBye(reason: number, text: Uint8Array): void {
    this.#peerSaidBye = true;
    this.#finish(endForBye(reason, text, this.#peerName));
  }

  #checkLimits(): void {
    if (this.#end !== undefined || this.#peerName === null) return;
    const elapsedS = (performance.now() - this.#started) / 1000;
    if (this.#limits.update(this.#stats.framesDecoded, elapsedS)) {
      for (const link of this.#links) link.send(MessageType.SATISFIED);
    }
    if (this.#limits.done) this.#finish(DONE);
  }

  // Once a second: the stats line (--stats) and the HUD.
  #startStats(): void {
    const mode = this.#o.stats;
    const meter = new RateMeter(this.#stats, performance.now());
    this.#timers.push(setInterval(() => {
      this.#stats.droppedSending = this.#sendBox.dropped;
      this.#noteRate();
      const line: StatsLine = meter.sample(performance.now(), new Date());
      this.#view?.update({ stats: line, phase: this.#linkState.phase });
      this.#lastStats = line;
      if (mode === "json") this.#out.json(line);
      else if (mode === "text") this.#out.live(formatStatsLine(line));
    }, 1000));
  }

  // What the rate controller estimates, into the stats.
  #noteRate(): void {
    const sending = this.#stats.sending;
    const rate = this.#rate;
    if (!rate) {
      sending.fps = this.#o.source.kind === "none" ? null : this.#o.fps;
      return;
    }
    const estimate = rate.estimate();
    sending.fps = rate.rungs[rate.rung]!.fps;
    sending.targetKbps = estimate.targetKbps;
    sending.capacityKbps = estimate.capacityKbps;
    sending.queueDelayMs = estimate.queueDelayMs;
    sending.degraded = estimate.degraded;
  }

  // --- ending -----------------------------------------------------------

  #failed(error: unknown): void {
    this.#finish(error instanceof Error ? error : new Error(String(error)));
  }

  #finish(end: CallEnd | Error): void {
    if (this.#end !== undefined) return;
    this.#end = end;
    this.#linkState.end();
    this.#abort.abort();
    this.#sender.stop();
    this.#sendBox.close();
    this.#recvBox.close();
    this.#settle();
  }

  // The fixed order: stop the source; goodbye and flush; close the links;
  // close the sinks; free the native handles.
  async #shutdown(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    this.#heartbeat.stop();
    this.#producer?.close();
    await this.#connector?.close();
    const end = this.#end;
    await hangUp(this.#links, {
      bye: this.#peerSaidBye ? null : byeFor(end),
      readers: this.#readers,
      timeoutMs: CLOSE_TIMEOUT_MS,
    });
    await withTimeout(Promise.all(this.#tasks), CLOSE_TIMEOUT_MS);
    // No frame comes any more: finish the recording's file.
    await this.#recorder.close();
    await this.#view?.close();
    await this.#server?.close();
    // Native calls still in flight free their handles when they return.
    this.#decoder?.close();
    this.#decoded?.close();
    this.#stats.droppedSending = this.#sendBox.dropped;
    this.#noteRate();
    if (this.#o.stats === "json") {
      this.#out.json(summarize(this.#stats, {
        peer: this.#peerName,
        end: end instanceof Error ? "error" : end?.kind ?? "error",
        durationMs: this.#callStarted > 0 ? performance.now() - this.#callStarted : 0,
      }));
    }
  }
}
