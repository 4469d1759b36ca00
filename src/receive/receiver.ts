/**
 * {@linkcode Receiver}: reads one link's messages and sorts them: frames
 * into the receiving {@linkcode Latest} slot, everything else to the call's
 * handlers. One read task per link; each direction of the call runs on its
 * own.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { Latest } from "../latest.ts";
import type { Packet } from "../packet.ts";
import type { PeerLink } from "../net/peer_link.ts";
import {
  ByeReason,
  HEADER_SIZE,
  MAX_BYE_PAYLOAD,
  MAX_FRAME_PAYLOAD,
  MessageType,
  now,
  PONG_SIZE,
} from "../net/protocol.ts";
import { TAG_SIZE } from "../net/secure.ts";
import type { CallStats } from "../stats.ts";

/** What the call does with what a link delivers. */
export interface ReceiverHandlers {
  /**
   * A frame was published to the slot.
   *
   * @param timestamp Its capture time on the peer's clock.
   */
  frame(timestamp: number): void;
  /** The peer acknowledged frame `seq` on `link`. */
  ack(link: PeerLink, seq: number): void;
  /**
   * A heartbeat answer: our ping's send time `t1`, its arrival at the peer
   * `t2`, the answer's send time `t3` (peer's clock) and arrival `t4`.
   */
  pong(t1: number, t2: number, t3: number, t4: number): void;
  /** The peer's `--frames`/`--duration` limit is reached. */
  satisfied(): void;
  /** The peer paused (true) or resumed (false) its video. */
  video(paused: boolean): void;
  /** The peer said goodbye; `text` is its raw detail. */
  bye(reason: number, text: Uint8Array): void;
  /** The link closed without a goodbye. */
  closed(link: PeerLink): void;
  /** The link failed: a read error or a protocol violation. */
  failed(link: PeerLink, error: unknown): void;
}

/** Reads links into a slot and the call's handlers. */
export class Receiver {
  #box: Latest<Packet>;
  #stats: CallStats;
  #on: ReceiverHandlers;
  #bye = new Uint8Array(MAX_BYE_PAYLOAD + TAG_SIZE);
  #pong = new Uint8Array(PONG_SIZE + TAG_SIZE);
  #pongView = new DataView(this.#pong.buffer);

  /**
   * @param box Where received frames go (freshest wins).
   * @param stats Counts frames and bytes received.
   * @param handlers What to do with everything else.
   */
  constructor(box: Latest<Packet>, stats: CallStats, handlers: ReceiverHandlers) {
    this.#box = box;
    this.#stats = stats;
    this.#on = handlers;
  }

  /**
   * Reads `link` until it closes or fails (reported to the handlers; this
   * never rejects).
   *
   * @param link The connection.
   */
  async read(link: PeerLink): Promise<void> {
    const on = this.#on;
    while (true) {
      let header;
      try {
        header = await link.reader.readHeader();
      } catch (error) {
        on.failed(link, error);
        return;
      }
      if (header === null) {
        on.closed(link);
        return;
      }
      const arrival = now();
      link.lastHeard = performance.now();
      try {
        switch (header.type) {
          case MessageType.PING:
            link.writer.writePong(header.timestamp, arrival).catch(() => {});
            break;
          case MessageType.PONG: {
            await link.reader.readPayload(this.#pong);
            const view = this.#pongView;
            on.pong(view.getFloat64(0), view.getFloat64(8), header.timestamp, arrival);
            break;
          }
          case MessageType.FRAME:
            await this.#readFrame(link, header.length, header.seq, header.timestamp);
            on.frame(header.timestamp);
            break;
          case MessageType.ACK:
            on.ack(link, header.seq);
            break;
          case MessageType.SATISFIED:
            on.satisfied();
            break;
          case MessageType.PAUSED:
            on.video(true);
            break;
          case MessageType.RESUMED:
            on.video(false);
            break;
          case MessageType.CONFIRM:
            throw new ProtocolError("Unexpected key confirmation in the middle of a call");
          case MessageType.BYE: {
            const length = header.length;
            if (length > 0) await link.reader.readPayload(this.#bye);
            on.bye(
              length > 0 ? this.#bye[0]! : ByeReason.QUIT,
              this.#bye.subarray(1, length),
            );
            break;
          }
        }
      } catch (error) {
        on.failed(link, error);
        return;
      }
    }
  }

  async #readFrame(link: PeerLink, length: number, seq: number, timestamp: number): Promise<void> {
    const box = this.#box;
    const packet = box.acquire();
    try {
      packet.reserve(length + link.reader.overhead, MAX_FRAME_PAYLOAD + TAG_SIZE);
      packet.seq = seq;
      packet.timestamp = timestamp;
      packet.length = length;
      await link.reader.readPayload(packet.payload);
    } catch (error) {
      box.release(packet);
      throw error;
    }
    const stats = this.#stats;
    stats.framesReceived++;
    stats.bytesReceived += HEADER_SIZE + length;
    packet.from = link;
    box.publish(packet);
    stats.droppedReceiving = box.dropped;
  }
}
