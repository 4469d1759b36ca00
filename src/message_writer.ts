/**
 * {@linkcode MessageWriter}: writes framed messages, one write per message,
 * never interleaving two messages on the same connection.
 *
 * @module
 */

import {
  ByeReason,
  encodeHello,
  HEADER_SIZE,
  type Hello,
  MAX_BYE_PAYLOAD,
  MessageType,
  type MessageTypeCode,
  now,
  writeHeader,
} from "./protocol.ts";

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
  #control = new Uint8Array(HEADER_SIZE + MAX_BYE_PAYLOAD);
  #controlView = new DataView(this.#control.buffer);
  #frameHeader = new Uint8Array(HEADER_SIZE);
  #frameHeaderView = new DataView(this.#frameHeader.buffer);
  #header = { length: 0, type: 0, seq: 0, timestamp: 0 };

  /** @param sink The connection to write to. */
  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /**
   * Writes the hello that opens a connection.
   *
   * @param hello Flags and name.
   */
  writeHello(hello: Omit<Hello, "version">): Promise<void> {
    const bytes = encodeHello(hello);
    return this.#enqueue(() => this.#writeAll(bytes));
  }

  /**
   * Writes a FRAME whose payload sits at `buf[HEADER_SIZE ..]`; the header is
   * filled into `buf`'s first {@linkcode HEADER_SIZE} bytes.
   *
   * @param buf Header room followed by the payload.
   * @param length Payload length.
   * @param seq Frame sequence number.
   * @param timestamp Capture time, ms since the Unix epoch.
   */
  writeFrame(buf: Uint8Array, length: number, seq: number, timestamp: number): Promise<void> {
    return this.#enqueue(() => {
      const h = this.#header;
      h.length = length;
      h.type = MessageType.FRAME;
      h.seq = seq;
      h.timestamp = timestamp;
      writeHeader(this.#frameHeaderView, 0, h);
      buf.set(this.#frameHeader, 0);
      return this.#writeAll(buf.subarray(0, HEADER_SIZE + length));
    });
  }

  /**
   * Writes a message with no payload (ACK, SATISFIED).
   *
   * @param type The message type.
   * @param seq Sequence number (the acknowledged frame for ACK).
   */
  writeEmpty(type: MessageTypeCode, seq = 0): Promise<void> {
    return this.#writeControl(type, seq, new Uint8Array(0));
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

  /** Resolves once every message queued so far has been written (or failed). */
  async flush(): Promise<void> {
    await this.#tail.catch(() => {});
  }

  #writeControl(type: number, seq: number, payload: Uint8Array): Promise<void> {
    return this.#enqueue(() => {
      const h = this.#header;
      h.length = payload.length;
      h.type = type;
      h.seq = seq;
      h.timestamp = now();
      writeHeader(this.#controlView, 0, h);
      this.#control.set(payload, HEADER_SIZE);
      return this.#writeAll(this.#control.subarray(0, HEADER_SIZE + payload.length));
    });
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
