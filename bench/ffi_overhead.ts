/**
 * FFI overhead: the shim's encode and decode called through Deno's FFI
 * against the same calls in a native C++ loop, on the same frame, in one
 * run. Two ways through FFI: synchronous (as peercam's capture and decode
 * workers call them) and, for decode, the whole round trip through
 * peercam's decode worker (`src/receive/decoder.ts`: the worker woken
 * through shared memory, decoding the packet in place, and the main thread
 * woken in turn by an empty message). As a floor for thread handoff, it
 * also times an empty call made nonblocking (on one of Deno's pool threads)
 * and synchronously.
 *
 *     deno run -A bench/ffi_overhead.ts [ITERATIONS]
 *
 * @module
 */

import { Capture, Frame, JpegDecoder, JpegEncoder } from "../ffi/mod.ts";
import { LOCAL_SHIM_URL } from "../ffi/loader.ts";
import { Decoder } from "../src/receive/decoder.ts";
import { Packet } from "../src/packet.ts";
import { buildNative, OUT, runJson } from "./_native.ts";

const iterations = Number(Deno.args[0] ?? 200);
const quality = 80;
const native = await buildNative("native_codec");

interface NativeResult {
  encode_us: number;
  decode_us: number;
}

interface FfiResult {
  encode_sync: number;
  decode_sync: number;
  decode_worker: number;
}

async function viaFfi(width: number, height: number): Promise<FfiResult> {
  using cap = Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  using frame = new Frame();
  using decoded = new Frame();
  using encoder = new JpegEncoder();
  using decoder = new JpegDecoder();
  using worker = new Decoder();
  cap.readSync(frame);
  const buf = new Uint8Array(width * height * 3);
  const packet = new Packet(width * height * 3); // lent to the worker by address
  let length = 0;
  for (let i = 0; i < 20; i++) {
    const r = encoder.encodeSync(frame, quality, buf);
    if (!r.ok) throw new Error("buffer too small");
    length = packet.length = r.length;
    packet.payload.set(buf.subarray(0, length));
    decoder.decodeSync(buf, decoded, length);
    await worker.decode(packet, decoded);
  }
  const us = (t0: number) => (performance.now() - t0) * 1000 / iterations;
  let t = performance.now();
  for (let i = 0; i < iterations; i++) encoder.encodeSync(frame, quality, buf);
  const encode_sync = us(t);
  t = performance.now();
  for (let i = 0; i < iterations; i++) decoder.decodeSync(buf, decoded, length);
  const decode_sync = us(t);
  t = performance.now();
  for (let i = 0; i < iterations; i++) await worker.decode(packet, decoded);
  const decode_worker = us(t);
  return { encode_sync, decode_sync, decode_worker };
}

// The floor: a nonblocking call to a function that does nothing, and the
// same call made synchronously.
const probe = Deno.dlopen(LOCAL_SHIM_URL, {
  pc_abi_version: { parameters: [], result: "i32", nonblocking: true },
  pc_frame_width: { parameters: ["pointer"], result: "i32" },
});
for (let i = 0; i < 100; i++) await probe.symbols.pc_abi_version();
let t = performance.now();
for (let i = 0; i < 2000; i++) await probe.symbols.pc_abi_version();
const emptyAsync = (performance.now() - t) * 1000 / 2000;
t = performance.now();
for (let i = 0; i < 2000; i++) probe.symbols.pc_frame_width(null);
const emptySync = (performance.now() - t) * 1000 / 2000;
probe.close();
console.log(
  `empty call: nonblocking ${emptyAsync.toFixed(1)} µs, synchronous ${emptySync.toFixed(2)} µs`,
);
console.log(`FFI overhead, ${iterations} calls each, JPEG quality ${quality}, test pattern`);
console.log("size       op      native µs   sync µs  ratio   via worker µs  ratio");
const results: Record<string, unknown> = {};
for (const [w, h] of [[640, 480], [1280, 720], [1920, 1080]] as const) {
  // Alternate native and FFI runs and keep each one's best of three, so a
  // busy moment on the machine does not count against one side only.
  const n: NativeResult[] = [], f: FfiResult[] = [];
  for (let run = 0; run < 3; run++) {
    n.push(
      await runJson<NativeResult>(native, [
        String(w),
        String(h),
        String(quality),
        String(iterations),
      ]),
    );
    f.push(await viaFfi(w, h));
  }
  const best = <T>(rs: T[], key: keyof T) => Math.min(...rs.map((r) => r[key] as number));
  for (const op of ["encode", "decode"] as const) {
    const nb = best(n, `${op}_us`);
    const sync = best(f, `${op}_sync`);
    const viaWorker = op === "decode" ? best(f, "decode_worker") : undefined;
    const cell = (v: number | undefined, width: number) =>
      v === undefined
        ? "—".padStart(width) + "      —"
        : `${v.toFixed(0).padStart(width)}  ${(v / nb).toFixed(3)}`;
    console.log(
      `${`${w}x${h}`.padEnd(10)} ${op.padEnd(7)} ${nb.toFixed(0).padStart(9)} ${cell(sync, 9)} ` +
        cell(viaWorker, 15),
    );
    results[`${w}x${h} ${op}`] = { native: nb, sync, viaWorker };
  }
}
Deno.mkdirSync(OUT, { recursive: true });
Deno.writeTextFileSync(`${OUT}/ffi_overhead.json`, JSON.stringify(results, null, 1));
