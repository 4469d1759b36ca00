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
  ACK_SIZE,
  type AckTimes,
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
  /**
   * The peer acknowledged frame `seq` on `link`.
   *
   * @param times When the frame's first and last bytes reached the peer and
   * when it sent the ACK (the peer's clock), and when the ACK arrived (this
   * side's); untrusted: the sender checks them.
   */
  ack(link: PeerLink, seq: number, times: AckTimes): void;
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
    // Buffers of this link's own: links are read at once, and a payload's
    // read may wait (decryption), so they cannot share any.
    const bye = new Uint8Array(MAX_BYE_PAYLOAD + TAG_SIZE);
    const pongBytes = new Uint8Array(PONG_SIZE + TAG_SIZE);
    const pong = new DataView(pongBytes.buffer);
    const ackBytes = new Uint8Array(ACK_SIZE + TAG_SIZE);
    const ack = new DataView(ackBytes.buffer);
    const times: AckTimes = { firstByte: 0, lastByte: 0, ackSent: 0, arrival: 0 };
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
            const sent = header.timestamp;
            await link.reader.readPayload(pongBytes);
            on.pong(pong.getFloat64(0), pong.getFloat64(8), sent, arrival);
            break;
          }
          case MessageType.FRAME:
            await this.#readFrame(link, header.length, header.seq, header.timestamp, arrival);
            on.frame(header.timestamp);
            break;
          case MessageType.ACK: {
            const seq = header.seq, sent = header.timestamp;
            await link.reader.readPayload(ackBytes);
            times.firstByte = ack.getFloat64(0);
            times.lastByte = ack.getFloat64(8);
            times.ackSent = sent;
            times.arrival = arrival;
            on.ack(link, seq, times);
            break;
          }
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
            if (length > 0) await link.reader.readPayload(bye);
            on.bye(
              length > 0 ? bye[0]! : ByeReason.QUIT,
              bye.subarray(1, length),
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

  async #readFrame(
    link: PeerLink,
    length: number,
    seq: number,
    timestamp: number,
    arrival: number,
  ): Promise<void> {
    const box = this.#box;
    const packet = box.acquire();
    try {
      packet.reserve(length + link.reader.overhead, MAX_FRAME_PAYLOAD + TAG_SIZE);
      packet.seq = seq;
      packet.timestamp = timestamp;
      packet.length = length;
      await link.reader.readPayload(packet.payload);
      packet.firstByteTime = arrival;
      packet.lastByteTime = now();
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
