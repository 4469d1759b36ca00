/**
 * FFI overhead: the shim's encode and decode called through Deno's FFI (as
 * peercam calls them: nonblocking, awaited one at a time) against the same
 * calls in a native C++ loop, on the same frame, in one run.
 *
 *     deno run -A bench/ffi_overhead.ts [ITERATIONS]
 *
 * @module
 */

import { Capture, Frame, JpegDecoder, JpegEncoder } from "../ffi/mod.ts";
import { LOCAL_SHIM_URL } from "../ffi/loader.ts";
import { buildNative, runJson } from "./_native.ts";

const iterations = Number(Deno.args[0] ?? 200);
const quality = 80;
const native = await buildNative("native_codec");

interface NativeResult {
  encode_us: number;
  decode_us: number;
}

async function viaFfi(width: number, height: number): Promise<NativeResult> {
  using cap = await Capture.open({ kind: "test", spec: "", width, height, fps: 0 });
  using frame = new Frame();
  using decoded = new Frame();
  using encoder = new JpegEncoder();
  using decoder = new JpegDecoder();
  await cap.read(frame);
  const buf = new Uint8Array(width * height * 3);
  let length = 0;
  for (let i = 0; i < 20; i++) {
    const r = await encoder.encode(frame, quality, buf);
    if (!r.ok) throw new Error("buffer too small");
    length = r.length;
    await decoder.decode(buf, decoded, length);
  }
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await encoder.encode(frame, quality, buf);
  const t1 = performance.now();
  for (let i = 0; i < iterations; i++) await decoder.decode(buf, decoded, length);
  const t2 = performance.now();
  return { encode_us: (t1 - t0) * 1000 / iterations, decode_us: (t2 - t1) * 1000 / iterations };
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
console.log("size       op      native µs   FFI µs   FFI/native");
for (const [w, h] of [[640, 480], [1280, 720], [1920, 1080]] as const) {
  // Alternate native and FFI runs and keep each one's best of three, so a
  // busy moment on the machine does not count against one side only.
  const n: NativeResult[] = [], f: NativeResult[] = [];
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
  for (const op of ["encode_us", "decode_us"] as const) {
    const best = (rs: NativeResult[]) => Math.min(...rs.map((r) => r[op]));
    const [nb, fb] = [best(n), best(f)];
    console.log(
      `${`${w}x${h}`.padEnd(10)} ${op.slice(0, 6).padEnd(7)} ${nb.toFixed(0).padStart(9)} ` +
        `${fb.toFixed(0).padStart(8)}   ${(fb / nb).toFixed(3)}`,
    );
  }
}
