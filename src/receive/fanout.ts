/**
 * {@linkcode Fanout}: hands each received frame to whatever wants it. The
 * JPEG goes to the packet sinks as it arrived (a snapshot, later a
 * recording or an HTTP stream); the decoded picture goes to the picture
 * sinks (the window, later the terminal). Sinks run synchronously on the
 * main thread and must not wait: one that cannot keep up skips frames.
 *
 * ```
 *  peer ══ FRAME ══▶ Receiver ─▶ [latest] ─▶ Fanout ─┬─▶ packet sinks (JPEG bytes)
 *                                               ack ◀┘   decode ─▶ picture sinks
 * ```
 *
 * @module
 */

import { type Frame, ShimError } from "../../ffi/mod.ts";
import type { Latest } from "../latest.ts";
import type { Packet } from "../packet.ts";
import { now } from "../net/protocol.ts";
import type { CallStats } from "../stats.ts";
import type { Decoder } from "./decoder.ts";

/** What a sink learns about each frame besides its bytes or pixels. */
export interface FrameInfo {
  /** The frame's sequence number on its connection. */
  seq: number;
  /** When the peer captured it, ms since the Unix epoch on the peer's clock. */
  peerTime: number;
  /** The same instant on this machine's clock, or null while the clock offset is unknown. */
  localTime: number | null;
}

/** Gets each received JPEG, unchanged. */
export interface PacketSink {
  /**
   * Called once per frame taken for display, before it is decoded.
   *
   * @param jpeg The bytes; valid only during the call (copy what you keep).
   * @param info Sequence number and capture time.
   */
  packet(jpeg: Uint8Array, info: FrameInfo): void;
}

/** Gets each decoded picture. */
export interface PictureSink {
  /**
   * Called once per decoded frame.
   *
   * @param frame The picture (BGR); valid only during the call, and a sink may draw on it
   * (sinks run in the order they were added).
   * @param info Sequence number and capture time.
   */
  picture(frame: Frame, info: FrameInfo): void;
}

/** The peer's clock, as far as the fan-out needs it. */
export interface PeerClock {
  /** Null until the first heartbeat answer. */
  readonly rttMs: number | null;
  /** Converts a peer time to this machine's clock. */
  toLocal(peerTime: number): number;
}

/** Options for {@linkcode Fanout}. */
export interface FanoutOptions {
  /** Decodes in its worker. */
  decoder: Decoder;
  /** The picture the decoder writes into (reused every frame). */
  frame: Frame;
  /** Counts frames decoded, decode errors, latency. */
  stats: CallStats;
  /** The peer's clock, for capture times. */
  clock: PeerClock;
  /** Acknowledges a frame taken (so the sender sends about as fast as frames are shown). */
  ack(packet: Packet): void;
  /** Called for the first frame that does not decode (later ones are only counted). */
  onDecodeError(message: string): void;
  /** Called after each frame has been through every sink. */
  onShown(): void;
}

/** Takes received frames, decodes them, and hands them to the sinks. */
export class Fanout {
  #o: FanoutOptions;
  #packetSinks: PacketSink[] = [];
  #pictureSinks: PictureSink[] = [];
  #info: FrameInfo = { seq: 0, peerTime: 0, localTime: null };

  /** @param options The decoder, the picture, the counters and the call's hooks. */
  constructor(options: FanoutOptions) {
    this.#o = options;
  }

  /**
   * Adds a sink for the JPEG bytes.
   *
   * @param sink The sink.
   */
  addPacketSink(sink: PacketSink): void {
    this.#packetSinks.push(sink);
  }

  /**
   * Adds a sink for decoded pictures.
   *
   * @param sink The sink.
   */
  addPictureSink(sink: PictureSink): void {
    this.#pictureSinks.push(sink);
  }

  /**
   * Runs until `box` closes.
   *
   * @param box The receiving slot (freshest frame wins).
   * @param signal Once aborted, a frame still decoding is not shown.
   * @throws {Error} For a failure other than a frame that does not decode.
   */
  async run(box: Latest<Packet>, signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const { decoder, frame, stats, clock } = o;
    const info = this.#info;
    let warned = false;
    while (true) {
      const packet = await box.take();
      if (packet === undefined) return;
      // Acknowledge on take, not on arrival: the sender then sends about as
      // fast as frames are shown, so neither side works on frames that would
      // only be dropped.
      o.ack(packet);
      info.seq = packet.seq;
      info.peerTime = packet.timestamp;
      // Until the first heartbeat answer, the peer's clock is unknown.
      info.localTime = clock.rttMs === null ? null : clock.toLocal(packet.timestamp);
      try {
        if (this.#packetSinks.length > 0) {
          const jpeg = packet.payload.subarray(0, packet.length);
          for (const sink of this.#packetSinks) sink.packet(jpeg, info);
        }
        await decoder.decode(packet, frame);
      } catch (error) {
        if (!(error instanceof ShimError)) throw error;
        stats.decodeErrors++;
        if (!warned) o.onDecodeError(error.message);
        warned = true;
        continue;
      } finally {
        box.release(packet);
      }
      if (signal.aborted) return;
      for (const sink of this.#pictureSinks) sink.picture(frame, info);
      if (info.localTime !== null) stats.recordLatency(info.localTime, now());
      stats.framesDecoded++;
      stats.frameWidth = frame.width;
      stats.frameHeight = frame.height;
      o.onShown();
    }
  }
}
