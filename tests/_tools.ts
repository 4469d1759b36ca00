/**
 * Test helpers that run external tools (ffmpeg, Xvfb) and spawn peercam.
 *
 * @module
 */

export { freePort } from "../src/net/ports.ts";

/** The repository root. */
export const ROOT = new URL("..", import.meta.url).pathname;

/** Runs a command to completion, throwing with its stderr on failure. */
export async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<string> {
  let out;
  try {
    out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${cmd} is not installed: run the README's test command, which installs it`);
    }
    throw error;
  }
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Makes an MJPEG AVI of `frames` frames with ffmpeg's testsrc2 (moving), or
 * of one solid `colour` (every frame the same bytes).
 */
export async function makeClip(
  path: string,
  width: number,
  height: number,
  frames: number,
  colour?: string,
): Promise<void> {
  await run("ffmpeg", [
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    colour === undefined
      ? `testsrc2=size=${width}x${height}:rate=25`
      : `color=c=${colour}:s=${width}x${height}:r=25`,
    "-frames:v",
    String(frames),
    "-c:v",
    "mjpeg",
    "-q:v",
    "3",
    path,
  ]);
}

/** Peak signal-to-noise ratio of two equal-length 8-bit images, in dB. */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError("images differ in size");
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/**
 * Runs a shell command line with the system directories (`/usr/sbin`,
 * `/sbin`: ip, tc, sysctl) on PATH, which a non-login PATH may lack.
 *
 * @param cmd The command line.
 * @returns Whether it succeeded, and its output (stdout then stderr), trimmed.
 */
export async function sh(cmd: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await new Deno.Command("sh", {
      args: ["-c", `PATH="$PATH:/usr/sbin:/sbin"; ${cmd}`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
    return { ok: r.success, out: out.trim() };
  } catch (error) {
    return { ok: false, out: String(error) };
  }
}

/** Splits a clip into its JPEG frames (`ffmpeg -c copy -f image2`), as byte strings. */
export async function clipFrames(clip: string, dir: string): Promise<Set<string>> {
  await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    clip,
    "-c:v",
    "copy",
    "-f",
    "image2",
    `${dir}/%04d.jpg`,
  ]);
  return new Set(
    [...Deno.readDirSync(dir)].map((e) => Deno.readFileSync(`${dir}/${e.name}`).join(",")),
  );
}

/**
 * The middle value (the upper of the two middles for an even count).
 *
 * @param values Numbers, in any order (not changed).
 * @returns The median, or NaN for none.
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
