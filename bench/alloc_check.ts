/**
 * Checks that the frame loop allocates no frame-sized buffers: runs the
 * native loop through libpeercam (the calls peercam makes per frame, the
 * call window's self-view and HUD included in the `view` mode) with an
 * LD_PRELOAD counter of heap allocations of 64 KiB or more, for N and 4N
 * frames. Equal counts (or a stray few) mean none per frame.
 *
 *     deno run -A bench/alloc_check.ts
 *
 * @module
 */

import { buildNative, OUT } from "./_native.ts";

const here = new URL(".", import.meta.url).pathname;
const counter = `${OUT}/alloc_count.so`;
const build = await new Deno.Command("gcc", {
  args: ["-O2", "-shared", "-fPIC", `${here}alloc_count.c`, "-o", counter, "-ldl"],
}).output();
if (!build.success) throw new Error(new TextDecoder().decode(build.stderr));
const loop = await buildNative("native_loop");
const clip = `${OUT}/alloc-clip.avi`;
await new Deno.Command("ffmpeg", {
  args: [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=1280x720:rate=25",
    "-frames:v",
    "100",
    "-c:v",
    "mjpeg",
    clip,
  ],
}).output();

async function count(mode: string, frames: number): Promise<number> {
  const out = await new Deno.Command(loop, {
    args: [mode, clip, "80", String(frames)],
    env: { LD_PRELOAD: counter },
    stdout: "null",
    stderr: "piped",
  }).output();
  const m = /alloc_count: (\d+)/.exec(new TextDecoder().decode(out.stderr));
  if (!out.success || !m) throw new Error(new TextDecoder().decode(out.stderr));
  return Number(m[1]);
}

console.log("allocations of 64 KiB or more (1280x720 MJPEG clip of 450 frames)");
console.log("mode          100 frames  400 frames  per frame");
let failed = false;
for (const mode of ["shim", "transcode", "passthrough", "view"]) {
  const [a, b] = [await count(mode, 100), await count(mode, 400)];
  const perFrame = (b - a) / 300;
  // A few growths of a library's internal pool over hundreds of frames are
  // not per-frame allocations; one per frame or more would be.
  failed ||= perFrame >= 0.05;
  console.log(
    `${mode.padEnd(13)} ${String(a).padStart(10)}  ${String(b).padStart(10)}  ${
      perFrame.toFixed(3).padStart(9)
    }`,
  );
}
if (failed) {
  console.error("alloc_check: a frame loop allocates frame-sized buffers per frame");
  Deno.exit(1);
}
