/**
 * {@linkcode MessageReader}: reads the hello and framed messages from a byte
 * stream, with one buffered read per syscall where possible and payloads read
 * straight into the caller's buffer.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import {
  decodeName,
  HEADER_SIZE,
  type Hello,
  HELLO_KEY_SIZE,
  HELLO_SIZE,
  HelloFlag,
  MAX_FRAME_PAYLOAD,
  type MessageHeader,
  parseHelloPrefix,
  readHeader,
} from "./protocol.ts";
import { type Opener, TAG_SIZE } from "./secure.ts";

/** Anything with `Deno.Conn`'s `read`: fills `p` and returns the count, or null at the end. */
export interface ByteSource {
  /** Reads up to `p.length` bytes into `p`. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Options for {@linkcode MessageReader}. */
export interface MessageReaderOptions {
  /** Size of the internal read buffer (default 64 KiB). */
  bufferSize?: number;
  /** Largest FRAME payload accepted (default {@linkcode MAX_FRAME_PAYLOAD}). */
  maxFramePayload?: number;
}

/** A whole message, as returned by {@linkcode MessageReader.readMessage}. */
export interface Message extends MessageHeader {
  /** The payload (a fresh copy). */
  payload: Uint8Array<ArrayBuffer>;
}

/**
 * Reads peercam's wire format. Call {@linkcode readHello} once, then
 * {@linkcode readHeader} and, when the header's length is non-zero,
 * {@linkcode readPayload} before the next header.
 *
 * @example
 * ```ts
 * const reader = new MessageReader(conn);
 * const hello = await reader.readHello();
 * for (let h; (h = await reader.readHeader()) !== null;) {
 *   const payload = new Uint8Array(h.length);
 *   await reader.readPayload(payload);
 * }
 * ```
 */
export class MessageReader {
  #source: ByteSource;
  #buf: Uint8Array;
  #view: DataView;
  #start = 0;
  #end = 0;
  #header: MessageHeader = { length: 0, type: 0, seq: 0, timestamp: 0 };
  #pending = 0; // payload bytes still unread, tag included
  #maxFrame: number;
  #opener: Opener | undefined;
  #aad = new Uint8Array(HEADER_SIZE); // the current header, authenticated with its payload
  #tag = new Uint8Array(TAG_SIZE);

  /**
   * @param source The stream to read, typically a `Deno.Conn`.
   * @param options Buffer size and payload limit.
   */
  constructor(source: ByteSource, options: MessageReaderOptions = {}) {
    this.#source = source;
    this.#buf = new Uint8Array(Math.max(options.bufferSize ?? 64 * 1024, HEADER_SIZE + 64));
    this.#view = new DataView(this.#buf.buffer);
    this.#maxFrame = options.maxFramePayload ?? MAX_FRAME_PAYLOAD;
  }

  /**
   * Reads the peer's hello.
   *
   * @returns The peer's version, flags and name.
   * @throws {ProtocolError} On a wrong magic or version, a bad name, or an early end.
   */
  async readHello(): Promise<Hello> {
    if (!await this.#fill(HELLO_SIZE, "hello")) {
      throw new ProtocolError("Connection closed before the hello");
    }
    const { version, flags, nameLength } = parseHelloPrefix(
      this.#buf.subarray(this.#start, this.#start + HELLO_SIZE),
    );
    const keyLength = flags & HelloFlag.SECURE ? HELLO_KEY_SIZE : 0;
    const total = HELLO_SIZE + nameLength + keyLength;
    if (!await this.#fill(total, "hello")) {
      throw new ProtocolError("Truncated hello: stream ended inside it");
    }
    const bytes = this.#buf.slice(this.#start, this.#start + total);
    this.#start += total;
    const name = decodeName(bytes.subarray(HELLO_SIZE, HELLO_SIZE + nameLength));
    const hello: Hello = { version, flags, name, bytes };
    if (keyLength > 0) hello.publicKey = bytes.slice(HELLO_SIZE + nameLength);
    return hello;
  }

  /**
   * From now on, opens every message with `opener` (a call with a secret
   * code): headers are authenticated with their payloads, and a message that
   * was tampered with, replayed or reordered is a protocol error.
   *
   * @param opener The receiving direction's key.
   */
  secure(opener: Opener): void {
    this.#opener = opener;
  }

  /** Bytes a payload buffer needs beyond the payload: the tag, when secure. */
  get overhead(): number {
    return this.#opener ? TAG_SIZE : 0;
  }

  /**
   * Reads the next message header. The returned object is reused by the
   * next call.
   *
   * @returns The header, or null when the stream ended cleanly between messages.
   * @throws {ProtocolError} On a truncated header, an unknown type, an oversized
   * length, or a previous payload left unread.
   */
  async readHeader(): Promise<MessageHeader | null> {
    if (this.#pending > 0) {
      throw new ProtocolError("Cannot read header: the previous payload was not read");
    }
    if (!await this.#fill(HEADER_SIZE, "header")) return null;
    const overhead = this.overhead;
    readHeader(this.#view, this.#start, this.#header, this.#maxFrame, overhead);
    if (overhead > 0) this.#aad.set(this.#buf.subarray(this.#start, this.#start + HEADER_SIZE));
    this.#start += HEADER_SIZE;
    this.#pending = this.#header.length + overhead;
    // A sealed message with no payload is only its tag: check it now.
    if (overhead > 0 && this.#header.length === 0) await this.readPayload(this.#tag);
    return this.#header;
  }

  /**
   * Reads the current message's payload into the start of `dst`.
   *
   * @param dst At least the header's `length` plus {@linkcode overhead} bytes
   * long; reused across messages.
   * @throws {ProtocolError} When the stream ends inside the payload, or a
   * sealed message fails authentication.
   * @throws {RangeError} When `dst` is too small.
   */
  async readPayload(dst: Uint8Array<ArrayBuffer>): Promise<void> {
    const length = this.#pending;
    if (dst.length < length) {
      throw new RangeError(
        `Cannot read payload: buffer holds ${dst.length} bytes, the payload is ${length}`,
      );
    }
    this.#pending = 0;
    const buffered = Math.min(this.#end - this.#start, length);
    dst.set(this.#buf.subarray(this.#start, this.#start + buffered));
    this.#start += buffered;
    let filled = buffered;
    while (filled < length) {
      const n = await this.#source.read(dst.subarray(filled, length));
      if (n === null) {
        throw new ProtocolError(
          `Truncated message: stream ended after ${filled} of ${length} payload bytes`,
        );
      }
      filled += n;
    }
    if (this.#opener) {
      const plain = await this.#opener.open(this.#aad, dst.subarray(0, length));
      if (plain === null) {
        throw new ProtocolError(
          "A message failed authentication: it was tampered with, replayed, reordered " +
            "or sealed with another key",
        );
      }
      dst.set(plain);
    }
  }

  /**
   * Reads a whole message into a new buffer (convenient; allocates).
   *
   * @returns The message, or null at a clean end of stream.
   * @throws {ProtocolError} As {@linkcode readHeader} and {@linkcode readPayload}.
   */
  async readMessage(): Promise<Message | null> {
    const header = await this.readHeader();
    if (header === null) return null;
    const copy = { ...header };
    const payload = new Uint8Array(header.length + this.overhead);
    if (this.#pending > 0) await this.readPayload(payload);
    return { ...copy, payload: payload.subarray(0, copy.length) };
  }

  // Ensures `n` bytes are buffered. Returns false if the stream ended before
  // any of them arrived; throws if it ended part-way.
  async #fill(n: number, what: string): Promise<boolean> {
    if (this.#end - this.#start >= n) return true;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    while (this.#end < n) {
      const got = await this.#source.read(this.#buf.subarray(this.#end));
      if (got === null) {
        if (this.#end === 0) return false;
        throw new ProtocolError(`Truncated ${what}: stream ended after ${this.#end} of ${n} bytes`);
      }
      this.#end += got;
    }
    return true;
  }
}
