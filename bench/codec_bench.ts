/**
 * Micro-benchmarks: JPEG encode, re-encode (DCT-domain requantization of a
 * quality-95 JPEG to quality 80), decode and scaled decode through FFI at
 * three sizes, synchronously as peercam's capture and decode workers call
 * them; message framing throughput; sealing and opening a frame. Run with
 * `deno task bench`.
 */

import { Capture, Frame, JpegDecoder, JpegEncoder } from "../ffi/mod.ts";
import { MessageReader } from "../src/net/message_reader.ts";
import { MessageWriter } from "../src/net/message_writer.ts";
import { HEADER_SIZE } from "../src/net/protocol.ts";

for (const [width, height] of [[640, 480], [1280, 720], [1920, 1080]] as const) {
  const cap = Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  const frame = new Frame();
  cap.readSync(frame);
  cap.close();
  const encoder = new JpegEncoder();
  const decoder = new JpegDecoder();
  const decoded = new Frame();
  const buf = new Uint8Array(width * height * 3);
  const encoded = encoder.encodeSync(frame, 80, buf);
  if (!encoded.ok) throw new Error("encode buffer too small");
  const jpeg = buf.slice(0, encoded.length);
  const fineBuf = new Uint8Array(width * height * 3);
  const fine = encoder.encodeSync(frame, 95, fineBuf);
  if (!fine.ok) throw new Error("encode buffer too small");
  const source = fineBuf.slice(0, fine.length);
  const group = `${width}x${height}`;

  Deno.bench(`encode ${group} q80 (FFI, synchronous)`, { group, baseline: true }, () => {
    encoder.encodeSync(frame, 80, buf);
  });
  Deno.bench(`re-encode ${group} q95 → q80 (FFI, synchronous)`, { group }, () => {
    encoder.encodeJpegSync(source, source.length, 80, buf);
  });
  Deno.bench(`decode ${group} q80 (FFI, synchronous)`, { group }, () => {
    decoder.decodeSync(jpeg, decoded);
  });
  Deno.bench(`decode ${group} q80 at 1/4 (FFI, synchronous)`, { group }, () => {
    decoder.decodeScaledSync(jpeg, jpeg.length, 4, decoded);
  });
}

const PAYLOAD = 100_000;
const MESSAGES = 100;
const frameBuf = new Uint8Array(HEADER_SIZE + PAYLOAD);
const sink = {
  chunks: [] as Uint8Array[],
  write(p: Uint8Array) {
    this.chunks.push(p.slice());
    return Promise.resolve(p.length);
  },
};
const writer = new MessageWriter(sink);
for (let i = 0; i < MESSAGES; i++) await writer.writeFrame(frameBuf, PAYLOAD, i, 0);
const wire = new Uint8Array(sink.chunks.reduce((n, c) => n + c.length, 0));
sink.chunks.reduce((off, c) => (wire.set(c, off), off + c.length), 0);

Deno.bench(`read ${MESSAGES} framed 100 kB messages (10 MB)`, { group: "framing" }, async () => {
  let off = 0;
  const reader = new MessageReader({
    read(p) {
      if (off >= wire.length) return Promise.resolve(null);
      const n = Math.min(p.length, wire.length - off, 65536);
      p.set(wire.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  });
  const payload = new Uint8Array(PAYLOAD);
  while (await reader.readHeader() !== null) await reader.readPayload(payload);
});

// Sealing and opening a 120 kB frame (a 1280x720 JPEG at quality 80), as an
// encrypted call does for every frame in each direction.
{
  const { KeyPair } = await import("../src/net/secure.ts");
  const d = await KeyPair.generate(), a = await KeyPair.generate();
  const t = new Uint8Array([...d.publicKey, ...a.publicKey]);
  const code = "ABCDEFGHJKMNPQRSTVWX";
  const [dk, ak] = [
    await d.derive(a.publicKey, code, t, "dialer"),
    await a.derive(d.publicKey, code, t, "acceptor"),
  ];
  const header = new Uint8Array(HEADER_SIZE);
  const frame = new Uint8Array(120_000);
  Deno.bench(
    "seal + open a 120 kB frame (AES-256-GCM, WebCrypto)",
    { group: "encryption" },
    async () => {
      const sealed = await dk.send.seal(header, frame);
      if (await ak.receive.open(header, sealed) === null) throw new Error("open failed");
    },
  );
}
