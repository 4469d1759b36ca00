/**
 * {@linkcode MessageWriter}: writes framed messages, one write per message,
 * never interleaving two messages on the same connection.
 *
 * @module
 */

import {
  ACK_SIZE,
  ByeReason,
  CONFIRM_SIZE,
  HEADER_SIZE,
  MAX_BYE_PAYLOAD,
  MessageType,
  type MessageTypeCode,
  now,
  PONG_SIZE,
  writeHeader,
} from "./protocol.ts";
import { type Sealer, TAG_SIZE } from "./secure.ts";

const EMPTY = new Uint8Array(0);

/** Anything with `Deno.Conn`'s `write`. */
export interface ByteSink {
  /** Writes some of `p`, returning how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/**
 * Serializes messages onto a connection. Frames are written from a buffer
 * that reserves {@linkcode HEADER_SIZE} bytes in front of the payload, so
 * header and payload go out in one write without a copy.
 */
export class MessageWriter {
  #sink: ByteSink;
  #tail: Promise<unknown> = Promise.resolve();
  #control = new Uint8Array(HEADER_SIZE + MAX_BYE_PAYLOAD + TAG_SIZE);
  #controlView = new DataView(this.#control.buffer);
  #frameHeader = new Uint8Array(HEADER_SIZE);
  #frameHeaderView = new DataView(this.#frameHeader.buffer);
  #header = { length: 0, type: 0, seq: 0, timestamp: 0 };
  #ack = new Uint8Array(ACK_SIZE);
  #ackView = new DataView(this.#ack.buffer);
  #sealer: Sealer | undefined;

  /** @param sink The connection to write to. */
  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /**
   * Writes the hello that opens a connection.
   *
   * @param bytes The encoded hello (`encodeHello`).
   */
  writeHello(bytes: Uint8Array): Promise<void> {
    return this.#enqueue(() => this.#writeAll(bytes));
  }

  /**
   * From now on, seals every message with `sealer` (a call with a secret code).
   *
   * @param sealer The sending direction's key.
   */
  secure(sealer: Sealer): void {
    this.#sealer = sealer;
  }

  /** Bytes a frame buffer needs after the payload: room for the tag. */
  static readonly TRAILER = TAG_SIZE;

  /**
   * Writes a FRAME whose payload sits at `buf[HEADER_SIZE ..]`; the header is
   * filled into `buf`'s first {@linkcode HEADER_SIZE} bytes.
   *
   * @param buf Header room followed by the payload.
   * @param length Payload length.
   * @param seq Frame sequence number.
   * @param timestamp Capture time, ms since the Unix epoch.
   */
  writeFrame(
    buf: Uint8Array<ArrayBuffer>,
    length: number,
    seq: number,
    timestamp: number,
  ): Promise<void> {
    return this.#enqueue(async () => {
      const sealer = this.#sealer;
      const h = this.#header;
      h.length = length + (sealer ? TAG_SIZE : 0);
      h.type = MessageType.FRAME;
      h.seq = seq;
      h.timestamp = timestamp;
      writeHeader(this.#frameHeaderView, 0, h);
      buf.set(this.#frameHeader, 0);
      if (sealer) {
        // The tag lands in the room buffers keep after the payload (TRAILER).
        const sealed = await sealer.seal(
          this.#frameHeader,
          buf.subarray(HEADER_SIZE, HEADER_SIZE + length),
        );
        buf.set(sealed, HEADER_SIZE);
      }
      return this.#writeAll(buf.subarray(0, HEADER_SIZE + h.length));
    });
  }

  /**
   * Writes an ACK of frame `seq` with its arrival times (the payload is
   * filled when the write's turn comes, from one reused buffer).
   *
   * @param seq The frame acknowledged (and every one before it).
   * @param firstByte When its header arrived (this side's clock, ms since the epoch).
   * @param lastByte When its last byte arrived.
   */
  writeAck(seq: number, firstByte: number, lastByte: number): Promise<void> {
    return this.#enqueue(() => {
      this.#ackView.setFloat64(0, firstByte);
      this.#ackView.setFloat64(8, lastByte);
      return this.#writeControlNow(MessageType.ACK, seq, this.#ack);
    });
  }

  /**
   * Writes a message with no payload (SATISFIED, PING, PAUSED, RESUMED).
   *
   * @param type The message type (not ACK, which has a payload: {@linkcode writeAck}).
   * @param seq Sequence number.
   * @throws {RangeError} For ACK.
   */
  writeEmpty(type: MessageTypeCode, seq = 0): Promise<void> {
    if (type === MessageType.ACK) throw new RangeError("An ACK carries times: use writeAck()");
    return this.#writeControl(type, seq, EMPTY);
  }

  /**
   * Writes a PONG answering a PING.
   *
   * @param pingTime The PING's timestamp (the peer's clock).
   * @param arrival When the PING arrived (this side's clock).
   */
  writePong(pingTime: number, arrival: number): Promise<void> {
    const payload = new Uint8Array(PONG_SIZE); // once a second: not worth a pool
    const view = new DataView(payload.buffer);
    view.setFloat64(0, pingTime);
    view.setFloat64(8, arrival);
    return this.#writeControl(MessageType.PONG, 0, payload);
  }

  /**
   * Writes a BYE.
   *
   * @param reason One of {@linkcode ByeReason}.
   * @param text A short explanation (truncated to fit).
   */
  writeBye(reason: number = ByeReason.QUIT, text = ""): Promise<void> {
    const encoded = new TextEncoder().encode(text).subarray(0, MAX_BYE_PAYLOAD - 1);
    const payload = new Uint8Array(1 + encoded.length);
    payload[0] = reason;
    payload.set(encoded, 1);
    return this.#writeControl(MessageType.BYE, 0, payload);
  }

  /**
   * Writes the key confirmation of a call with a secret code (never sealed).
   *
   * @param confirm {@linkcode CONFIRM_SIZE} bytes.
   */
  writeConfirm(confirm: Uint8Array<ArrayBuffer>): Promise<void> {
    if (confirm.length !== CONFIRM_SIZE) {
      throw new RangeError(`Cannot write confirmation: it has ${CONFIRM_SIZE} bytes`);
    }
    return this.#writeControl(MessageType.CONFIRM, 0, confirm);
  }

  /** Resolves once every message queued so far has been written (or failed). */
  async flush(): Promise<void> {
    await this.#tail.catch(() => {});
  }

  #writeControl(type: number, seq: number, payload: Uint8Array<ArrayBuffer>): Promise<void> {
    return this.#enqueue(() => this.#writeControlNow(type, seq, payload));
  }

  // Writes a control message now (its turn in the queue has come).
  async #writeControlNow(
    type: number,
    seq: number,
    payload: Uint8Array<ArrayBuffer>,
  ): Promise<void> {
    const sealer = type === MessageType.CONFIRM ? undefined : this.#sealer;
    const h = this.#header;
    h.length = payload.length + (sealer ? TAG_SIZE : 0);
    h.type = type;
    h.seq = seq;
    h.timestamp = now();
    writeHeader(this.#controlView, 0, h);
    const body = sealer ? await sealer.seal(this.#control.slice(0, HEADER_SIZE), payload) : payload;
    this.#control.set(body, HEADER_SIZE);
    return this.#writeAll(this.#control.subarray(0, HEADER_SIZE + h.length));
  }

  #enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.#tail.then(write, write);
    this.#tail = next.catch(() => {});
    return next;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#sink.write(bytes.subarray(off));
  }
}
