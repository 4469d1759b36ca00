/**
 * How much picture the DCT-domain re-encoder keeps: real footage (opencv-doc
 * `vtest.avi` at 1280x720, stored as MJPEG at ffmpeg's `-q:v 3`) re-encoded
 * at several qualities by peercam's requantizer and by a decode to YUV and
 * compress with the fast inverse DCT (the previous re-encoder, and
 * GStreamer's `jpegdec ! jpegenc` with jpegdec's default) or the exact one,
 * each compared with the source frames decoded exactly. Prints PSNR and
 * size; a higher PSNR at about the same size is better.
 *
 *     deno run -A bench/transcode_quality.ts [--frames 20]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { buildNative, OUT, runJson } from "./_native.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { frames: { type: "string", default: "20" } },
});
const FOOTAGE = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
const clip = `${OUT}/quality-1280x720.avi`;
Deno.mkdirSync(OUT, { recursive: true });
const made = await new Deno.Command("ffmpeg", {
  args: [
    ...["-v", "error", "-y", "-i", FOOTAGE, "-vf", "scale=1280:720"],
    ...["-frames:v", values.frames, "-c:v", "mjpeg", "-q:v", "3", clip],
  ],
}).output();
if (!made.success) throw new Error(new TextDecoder().decode(made.stderr));
const harness = await buildNative("transcode_quality");

interface Row {
  quality: number;
  frames: number;
  dct_psnr: number;
  dct_bytes: number;
  yuv_psnr: number;
  yuv_bytes: number;
  exact_psnr: number;
}
console.log(`re-encoding ${values.frames} frames of 1280x720 footage (source: MJPEG -q:v 3)`);
console.log("quality   DCT-domain dB   bytes   YUV, fast IDCT dB   bytes   YUV, exact IDCT dB");
for (const quality of [30, 50, 80, 95, 100]) {
  const r = await runJson<Row>(harness, [clip, String(quality), values.frames]);
  const db = (v: number) => (v >= 99 ? "lossless" : v.toFixed(2)).padStart(14);
  console.log(
    `${String(quality).padStart(7)} ${db(r.dct_psnr)} ${String(r.dct_bytes).padStart(7)} ` +
      `${db(r.yuv_psnr).padStart(19)} ${String(r.yuv_bytes).padStart(7)} ${
        db(r.exact_psnr).padStart(20)
      }`,
  );
}
