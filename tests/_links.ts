/**
 * Test helpers: a {@linkcode PeerLink} over in-memory bytes (no sockets, no
 * permissions): what it reads comes from byte chunks, what it writes is
 * recorded.
 *
 * @module
 */

import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { PeerLink } from "../src/net/peer_link.ts";
import {
  HEADER_SIZE,
  type MessageHeader,
  PROTOCOL_VERSION,
  readHeader,
} from "../src/net/protocol.ts";
import { ChunkSource, RecordingSink } from "./_bytes.ts";

/** A link reading `incoming` and recording what is written. */
export function fakeLink(
  incoming: Uint8Array[] = [],
  sink: RecordingSink = new RecordingSink(),
): { link: PeerLink; sink: RecordingSink } {
  let closed = false;
  const conn = {
    close() {
      if (closed) throw new Deno.errors.BadResource("closed twice");
      closed = true;
    },
  } as unknown as Deno.TcpConn;
  const link = new PeerLink({
    conn,
    reader: new MessageReader(new ChunkSource(incoming)),
    writer: new MessageWriter(sink),
    peer: { version: PROTOCOL_VERSION, flags: 0, name: "peer" },
    remote: "test:1",
    secure: false,
  }, 0);
  return { link, sink };
}

/** The messages in `bytes` (headers, payloads skipped). */
export function messages(bytes: Uint8Array): MessageHeader[] {
  const out: MessageHeader[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off + HEADER_SIZE <= bytes.length;) {
    const h: MessageHeader = { length: 0, type: 0, seq: 0, timestamp: 0 };
    readHeader(view, off, h, 1 << 30);
    out.push({ ...h });
    off += HEADER_SIZE + h.length;
  }
  return out;
}
