/**
 * {@linkcode PeerLink}: one greeted connection to the peer and everything
 * that belongs to that connection alone: when it was last heard, the window
 * of frames sent on it, the acknowledgement it is writing. Reconnection
 * throws the object away and makes a new one, so no per-connection state
 * survives into the next connection by mistake.
 *
 * @module
 */

import { AckWindow, MAX_FRAMES_IN_FLIGHT } from "../send/ack_window.ts";
import { closeQuietly, type Link } from "./connect.ts";
import type { Hello } from "./protocol.ts";
import type { MessageTypeCode } from "./protocol.ts";
import type { MessageReader } from "./message_reader.ts";
import type { MessageWriter } from "./message_writer.ts";

/** One connection of the call. */
export class PeerLink {
  /** The socket. */
  readonly conn: Deno.TcpConn;
  /** Reads the peer's messages. */
  readonly reader: MessageReader;
  /** Writes ours. */
  readonly writer: MessageWriter;
  /** The peer's hello. */
  readonly peer: Hello;
  /** The peer's address, for messages. */
  readonly remote: string;
  /** Whether the connection is encrypted and authenticated with the code. */
  readonly secure: boolean;
  /** Frames sent on this connection that the peer has not acknowledged. */
  readonly window: AckWindow;
  /** When a message last arrived (`performance.now()`). */
  lastHeard: number;
  #ackWriting = false;
  #ackSeq = 0;
  #ackFirst = 0;
  #ackLast = 0;
  #ackWritten = 0;

  /**
   * @param link The handshake's result.
   * @param now The time the link counts as last heard.
   */
  constructor(link: Link, now: number = performance.now()) {
    this.conn = link.conn;
    this.reader = link.reader;
    this.writer = link.writer;
    this.peer = link.peer;
    this.remote = link.remote;
    this.secure = link.secure;
    this.window = new AckWindow(MAX_FRAMES_IN_FLIGHT);
    this.lastHeard = now;
  }

  /**
   * Sends a message without payload, ignoring a failure (the reading side
   * notices a broken connection).
   *
   * @param type The message type.
   * @param seq Its sequence number.
   */
  send(type: MessageTypeCode, seq = 0): void {
    this.writer.writeEmpty(type, seq).catch(() => {});
  }

  /**
   * Acknowledges frame `seq`, with when its first and last bytes arrived.
   * One acknowledgement is written at a time, always for the newest frame
   * taken, so a peer that stops reading cannot make them pile up.
   *
   * @param seq The frame's sequence number.
   * @param firstByte When its header arrived, ms since the epoch (this side's clock).
   * @param lastByte When its last byte arrived.
   */
  ack(seq: number, firstByte: number, lastByte: number): void {
    this.#ackSeq = seq;
    this.#ackFirst = firstByte;
    this.#ackLast = lastByte;
    if (this.#ackWriting) return;
    this.#ackWriting = true;
    this.#ackWritten = seq;
    this.writer.writeAck(seq, firstByte, lastByte).then(this.#afterAck, this.#ackFailed);
  }

  // Bound once, not per frame: write the newest taken since, if any.
  #afterAck = (): void => {
    this.#ackWriting = false;
    if (this.#ackSeq !== this.#ackWritten) this.ack(this.#ackSeq, this.#ackFirst, this.#ackLast);
  };

  #ackFailed = (): void => {
    this.#ackWriting = false; // the link failed: it is thrown away
  };

  /** Closes the socket (idempotent). */
  close(): void {
    closeQuietly(this.conn);
  }
}
