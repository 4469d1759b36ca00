/**
 * Real footage for the benchmarks: Debian's opencv-doc `vtest.avi`, scaled
 * and stored as MJPEG AVI in `bench/out/` (made once, then reused).
 *
 * @module
 */

import { OUT } from "./_native.ts";

/** Debian's opencv-doc sample video (people walking, 768x576). */
export const FOOTAGE = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

/**
 * The footage at `width` x `height`, `frames` frames long (looped to get
 * there), as MJPEG AVI; exits with an install hint when it is missing.
 *
 * @param size Width and height.
 * @param options How many frames, and another source video than vtest.avi.
 * @returns The clip's path.
 */
export async function footage(
  size: [number, number],
  options: { frames: number; source?: string },
): Promise<string> {
  const source = options.source ?? FOOTAGE;
  try {
    Deno.statSync(source);
  } catch {
    console.error(`bench: ${source} is missing: sudo apt-get install opencv-doc`);
    Deno.exit(1);
  }
  const [w, h] = size;
  const path = source === FOOTAGE
    ? `${OUT}/footage-${w}x${h}-${options.frames}.avi`
    : `${OUT}/clip-${w}x${h}-${options.frames}.avi`;
  try {
    Deno.statSync(path);
    if (source === FOOTAGE) return path;
  } catch {
    // Make it.
  }
  Deno.mkdirSync(OUT, { recursive: true });
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-y",
      "-stream_loop",
      "-1",
      "-i",
      source,
      "-vf",
      `scale=${w}:${h}`,
      "-frames:v",
      String(options.frames),
      "-c:v",
      "mjpeg",
      "-q:v",
      "3",
      path,
    ],
  }).output();
  if (!out.success) throw new Error(`ffmpeg failed: ${new TextDecoder().decode(out.stderr)}`);
  return path;
}
