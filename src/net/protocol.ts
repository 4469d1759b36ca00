/**
 * Wire protocol v4: the constants and the fixed layouts of the hello and of
 * the message header. `docs/PROTOCOL.md` is the specification; this file
 * must agree with it.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { hasControlCharacters } from "../text.ts";

/** The protocol version this build speaks. */
export const PROTOCOL_VERSION = 4;

/** `PCAM`, the first four bytes of every connection. */
export const MAGIC = 0x5043414d;

/** Size of the fixed part of the hello, before the name. */
export const HELLO_SIZE = 8;

/** Longest peer name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 64;

/** Size of a message header. */
export const HEADER_SIZE = 20;

/** Largest FRAME payload accepted (16 MiB); anything larger is refused unread. */
export const MAX_FRAME_PAYLOAD = 16 * 1024 * 1024;

/** Largest BYE payload: a reason byte and up to 255 bytes of text. */
export const MAX_BYE_PAYLOAD = 256;

/** Message types. */
export const MessageType = {
  /** A JPEG image; `seq` counts frames, `timestamp` is the capture time. */
  FRAME: 1,
  /**
   * Acknowledges FRAME `seq` (and every frame before it) when the receiver
   * takes it; paces the sender. `timestamp` is the ACK's send time; the
   * payload is when the frame's first and last bytes arrived (two f64, the
   * receiver's clock, ms since the Unix epoch), for the sender's rate
   * control. (v4; empty before.)
   */
  ACK: 2,
  /** The sender's `--frames`/`--duration` limit is reached. No payload. */
  SATISFIED: 3,
  /** The sender ends the call; payload is a {@linkcode ByeReason} and text. */
  BYE: 4,
  /** Key confirmation, once, right after the hellos of a call with a secret code. */
  CONFIRM: 5,
  /** Heartbeat, once a second each way; `timestamp` is the send time. No payload. */
  PING: 6,
  /** Answer to a PING: the PING's timestamp and its arrival time (two f64). */
  PONG: 7,
  /** The sender paused its video (the user pressed `v`); frames stop until RESUMED. No payload. (v3) */
  PAUSED: 8,
  /** The sender resumed its video. No payload. (v3) */
  RESUMED: 9,
} as const;

/** Bytes of a PONG payload. */
export const PONG_SIZE = 16;

/** Bytes of an ACK payload: the frame's first and last byte arrival times. (v4) */
export const ACK_SIZE = 16;

/** The times an ACK reports, with its arrival, ms since the Unix epoch. (v4) */
export interface AckTimes {
  /** The frame's first byte (its header) reached the peer (peer's clock). */
  firstByte: number;
  /** Its last byte reached the peer (peer's clock). */
  lastByte: number;
  /** The peer sent the ACK (peer's clock). */
  ackSent: number;
  /** The ACK arrived here (this side's clock). */
  arrival: number;
}

/** A message type code. */
export type MessageTypeCode = typeof MessageType[keyof typeof MessageType];

/** Why a peer said goodbye (first byte of a BYE payload). */
export const ByeReason = {
  /** The user quit. */
  QUIT: 0,
  /** Every limit in the call was satisfied. */
  DONE: 1,
  /** The sender hit an error and is giving up. */
  ERROR: 2,
} as const;

/** Hello flag bits. */
export const HelloFlag = {
  /** The sender runs with both `--listen` and `--peer` (two connections). */
  DUAL: 1,
  /** The sender has a `--frames`/`--duration` limit and will send SATISFIED. */
  LIMIT: 2,
  /** The sender has a source and will send frames. */
  VIDEO: 4,
  /** The sender has a secret code; its X25519 public key follows the name. */
  SECURE: 8,
  /** The sender is in another call and closes the connection: nothing follows. */
  BUSY: 16,
} as const;

/** What a hello carries. */
export interface Hello {
  /** Protocol version. */
  version: number;
  /** {@linkcode HelloFlag} bits. */
  flags: number;
  /** The sender's display name. */
  name: string;
  /** The sender's X25519 public key, with {@linkcode HelloFlag.SECURE}. */
  publicKey?: Uint8Array<ArrayBuffer>;
  /** The hello exactly as received, for the key exchange's transcript. */
  bytes?: Uint8Array<ArrayBuffer>;
}

/** Bytes of the public key a secure hello carries. */
export const HELLO_KEY_SIZE = 32;

/** Bytes of a CONFIRM payload. */
export const CONFIRM_SIZE = 32;

/** A parsed message header. */
export interface MessageHeader {
  /** Payload length in bytes. */
  length: number;
  /** One of {@linkcode MessageType}. */
  type: number;
  /** Sequence number. */
  seq: number;
  /** Milliseconds since the Unix epoch on the sender's clock. */
  timestamp: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Truncates `name` to at most {@linkcode MAX_NAME_BYTES} UTF-8 bytes
 * without splitting a character.
 *
 * @param name Any string.
 * @returns Its UTF-8 encoding, at most 64 bytes.
 */
export function encodeName(name: string): Uint8Array {
  let bytes = encoder.encode(name);
  while (bytes.length > MAX_NAME_BYTES) {
    name = [...name].slice(0, -1).join("");
    bytes = encoder.encode(name);
  }
  return bytes;
}

/**
 * Encodes a hello.
 *
 * @param hello The flags and name to send (version is always ours).
 * @returns The bytes to write first on a connection.
 */
export function encodeHello(
  hello: Omit<Hello, "version" | "bytes">,
): Uint8Array<ArrayBuffer> {
  const name = encodeName(hello.name);
  const key = hello.publicKey;
  if ((key !== undefined) !== Boolean(hello.flags & HelloFlag.SECURE)) {
    throw new TypeError("Cannot encode hello: the SECURE flag and the public key go together");
  }
  if (key && key.length !== HELLO_KEY_SIZE) {
    throw new RangeError(`Cannot encode hello: a public key has ${HELLO_KEY_SIZE} bytes`);
  }
  const out = new Uint8Array(HELLO_SIZE + name.length + (key?.length ?? 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC);
  view.setUint16(4, PROTOCOL_VERSION);
  view.setUint8(6, hello.flags & 0xff);
  view.setUint8(7, name.length);
  out.set(name, HELLO_SIZE);
  if (key) out.set(key, HELLO_SIZE + name.length);
  return out;
}

/**
 * Checks the fixed part of a hello.
 *
 * @param bytes At least {@linkcode HELLO_SIZE} bytes.
 * @returns The version, flags and the name's length in bytes.
 * @throws {ProtocolError} On a wrong magic, an unsupported version or an overlong name.
 */
export function parseHelloPrefix(
  bytes: Uint8Array,
): { version: number; flags: number; nameLength: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, HELLO_SIZE);
  if (view.getUint32(0) !== MAGIC) {
    throw new ProtocolError("Not a peercam peer: wrong magic in hello");
  }
  const version = view.getUint16(4);
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `the peer runs ${version < PROTOCOL_VERSION ? "an older" : "a newer"} peercam ` +
        `(protocol version ${version}, this one speaks ${PROTOCOL_VERSION}): ` +
        `update ${version < PROTOCOL_VERSION ? "the peer's" : "this"} peercam`,
    );
  }
  const nameLength = view.getUint8(7);
  if (nameLength > MAX_NAME_BYTES) {
    throw new ProtocolError(`Invalid hello: name of ${nameLength} bytes exceeds ${MAX_NAME_BYTES}`);
  }
  return { version, flags: view.getUint8(6), nameLength };
}

/**
 * Decodes a peer's name, rejecting invalid UTF-8 and control characters.
 *
 * @param bytes The name bytes from a hello.
 * @returns The name.
 * @throws {ProtocolError} When the bytes are not a clean UTF-8 name.
 */
export function decodeName(bytes: Uint8Array): string {
  let name: string;
  try {
    name = decoder.decode(bytes);
  } catch {
    throw new ProtocolError("Invalid hello: name is not UTF-8");
  }
  if (hasControlCharacters(name)) {
    throw new ProtocolError("Invalid hello: name contains control characters");
  }
  return name;
}

/**
 * Writes a message header ({@linkcode HEADER_SIZE} bytes) into `view` at `offset`.
 *
 * @param view A view over the output buffer.
 * @param offset Where the header starts.
 * @param header The header fields.
 */
export function writeHeader(view: DataView, offset: number, header: MessageHeader): void {
  view.setUint32(offset, header.length);
  view.setUint8(offset + 4, header.type);
  view.setUint8(offset + 5, 0);
  view.setUint16(offset + 6, 0);
  view.setUint32(offset + 8, header.seq >>> 0);
  view.setFloat64(offset + 12, header.timestamp);
}

/**
 * Reads and validates a message header, checking the declared length
 * against the type's limit before anything is allocated for the payload.
 *
 * @param view A view over the input buffer.
 * @param offset Where the header starts in `view`.
 * @param into The object to fill (reused from message to message).
 * @param maxFramePayload The largest FRAME payload accepted.
 * @param overhead Bytes sealing adds to every payload (0 without a secret);
 * `into.length` is the payload's length without them.
 * @throws {ProtocolError} On an unknown type or a length over the limit.
 */
export function readHeader(
  view: DataView,
  offset: number,
  into: MessageHeader,
  maxFramePayload: number,
  overhead = 0,
): void {
  const sealed = view.getUint32(offset);
  const type = view.getUint8(offset + 4);
  if (sealed < overhead) {
    throw new ProtocolError(
      `Message too short: ${sealed} bytes cannot hold its ${overhead}-byte tag`,
    );
  }
  const length = sealed - overhead;
  const limit = type === MessageType.FRAME
    ? maxFramePayload
    : type === MessageType.BYE
    ? MAX_BYE_PAYLOAD
    : type === MessageType.ACK
    ? ACK_SIZE
    : type === MessageType.SATISFIED || type === MessageType.PING || type === MessageType.PAUSED ||
        type === MessageType.RESUMED
    ? 0
    : type === MessageType.PONG
    ? PONG_SIZE
    : type === MessageType.CONFIRM
    ? CONFIRM_SIZE
    : -1;
  if (limit < 0) throw new ProtocolError(`Unknown message type ${type}`);
  if (type === MessageType.ACK && length !== ACK_SIZE) {
    throw new ProtocolError(`Invalid ACK: ${length} bytes of payload, an ACK has ${ACK_SIZE}`);
  }
  if (length > limit) {
    throw new ProtocolError(
      `Message too large: type ${type} declares ${length} bytes, the limit is ${limit}`,
    );
  }
  into.length = length;
  into.type = type;
  into.seq = view.getUint32(offset + 8);
  into.timestamp = view.getFloat64(offset + 12);
}

/** The current time in milliseconds since the Unix epoch, sub-millisecond. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
