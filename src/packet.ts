/**
 * {@linkcode Packet}: a reusable buffer holding one encoded frame, with room
 * for the message header in front so it can be written without a copy.
 *
 * @module
 */

import type { PeerLink } from "./net/peer_link.ts";
import { HEADER_SIZE } from "./net/protocol.ts";
import { TAG_SIZE } from "./net/secure.ts";

/**
 * One encoded frame in a reusable buffer:
 * `[header room][payload][room for an encryption tag]`.
 */
export class Packet {
  /** Header room, the JPEG bytes, then room for a tag. */
  data: Uint8Array<ArrayBuffer>;
  /** `data` between the header room and the tag room: where the JPEG goes. */
  payload: Uint8Array<ArrayBuffer>;
  /** JPEG length in bytes. */
  length = 0;
  /** Sequence number on the wire. */
  seq = 0;
  /** Capture time, ms since the Unix epoch (sender's clock). */
  timestamp = 0;
  /**
   * The JPEG quality a produced frame was encoded at, 1 to 100, or
   * `AS_STORED` (0) for a source's stored bytes sent as they are. Set by the
   * producer, like `width` and `height`; not sent on the wire.
   */
  quality = 0;
  /** A produced frame's width in pixels, as encoded. */
  width = 0;
  /** A produced frame's height in pixels, as encoded. */
  height = 0;
  /** The connection a received frame came on (to acknowledge it there). */
  from: PeerLink | undefined = undefined;
  /** When a received frame's header arrived, ms since the Unix epoch (this side's clock). */
  firstByteTime = 0;
  /** When its last byte arrived, on the same clock. */
  lastByteTime = 0;

  /** @param capacity Initial payload capacity in bytes. */
  constructor(capacity: number) {
    this.data = new Uint8Array(HEADER_SIZE + capacity + TAG_SIZE);
    this.payload = this.data.subarray(HEADER_SIZE, HEADER_SIZE + capacity);
  }

  /**
   * Makes room for at least `needed` payload bytes (rarely: the buffer only
   * ever grows, by at least half, so a call settles within a few frames).
   *
   * @param needed Payload bytes required.
   * @param limit The most the buffer may hold.
   * @throws {RangeError} When `needed` exceeds `limit`.
   */
  reserve(needed: number, limit: number): void {
    if (needed <= this.payload.length) return;
    if (needed > limit) {
      throw new RangeError(`Frame of ${needed} bytes exceeds the ${limit}-byte limit`);
    }
    const capacity = Math.min(limit, Math.max(needed, Math.ceil(this.payload.length * 1.5)));
    this.data = new Uint8Array(HEADER_SIZE + capacity + TAG_SIZE);
    this.payload = this.data.subarray(HEADER_SIZE, HEADER_SIZE + capacity);
  }
}
