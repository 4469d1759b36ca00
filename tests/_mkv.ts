/**
 * Test helpers that read recordings with the real ffprobe and ffmpeg.
 *
 * @module
 */

import { run } from "./_tools.ts";

/** What ffprobe says about a file. */
export interface Probe {
  /** The demuxer's name, e.g. `matroska,webm`. */
  format: string;
  /** The duration ffprobe reports, seconds (NaN when it has none). */
  duration: number;
  /** One entry per stream. */
  streams: Array<{ codec: string; width: number; height: number; packets: number }>;
}

/**
 * Runs `ffprobe -count_packets` on a file.
 *
 * @param path The file.
 * @returns Its format, duration and streams.
 */
export async function probe(path: string): Promise<Probe> {
  const out = JSON.parse(
    await run("ffprobe", [
      "-v",
      "error",
      "-count_packets",
      "-print_format",
      "json",
      "-show_format",
      "-show_streams",
      path,
    ]),
  );
  return {
    format: out.format.format_name,
    duration: Number(out.format.duration ?? NaN),
    streams: out.streams.map((s: Record<string, string | number>) => ({
      codec: s.codec_name,
      width: Number(s.width),
      height: Number(s.height),
      packets: Number(s.nb_read_packets ?? 0),
    })),
  };
}

/**
 * The presentation times of a stream's packets, in file order.
 *
 * @param path The file.
 * @param stream The stream index.
 * @returns Seconds.
 */
export async function packetTimes(path: string, stream: number): Promise<number[]> {
  const out = await run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    String(stream),
    "-show_entries",
    "packet=pts_time",
    "-of",
    "csv=p=0",
    path,
  ]);
  return out.trim().split("\n").filter(Boolean).map(Number);
}

/**
 * Copies a stream's packets out as files (`ffmpeg -c copy -f image2`), unchanged.
 *
 * @param path The recording.
 * @param stream The stream index.
 * @param dir An empty directory for the files.
 * @returns Each packet's bytes, in order.
 */
export async function extractPackets(
  path: string,
  stream: number,
  dir: string,
): Promise<Uint8Array[]> {
  await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    path,
    "-map",
    `0:${stream}`,
    "-c",
    "copy",
    "-f",
    "image2",
    `${dir}/%05d.jpg`,
  ]);
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort().map((name) =>
    Deno.readFileSync(`${dir}/${name}`)
  );
}

/**
 * Decodes every frame with `ffmpeg -f null` and returns what it printed at
 * level error (empty when the file decodes cleanly).
 *
 * @param path The file.
 * @param seek Where to start decoding, seconds (as a player seeking there does).
 * @returns ffmpeg's error output.
 */
export async function decodeErrors(path: string, seek?: number): Promise<string> {
  const from = seek === undefined ? [] : ["-ss", String(seek)];
  const out = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", ...from, "-i", path, "-f", "null", "-"],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr).trim();
  return out.success ? text : `exit ${out.code}: ${text}`;
}

/**
 * Decodes a stream with ffmpeg and lists each decoded picture's size, as
 * ffmpeg's `showinfo` filter reports it (with ffmpeg's default automatic
 * scaling off, so that what the decoder made is what is listed).
 *
 * @param path The file.
 * @param stream The stream index.
 * @param seek Where to start decoding, seconds.
 * @returns `WIDTHxHEIGHT` per picture, in order.
 */
export async function frameSizes(path: string, stream: number, seek?: number): Promise<string[]> {
  const from = seek === undefined ? [] : ["-ss", String(seek)];
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-nostats", ...from, "-i", path, "-map", `0:${stream}`],
      ...["-vf", "showinfo", "-autoscale", "0", "-f", "null", "-"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`ffmpeg failed:\n${text}`);
  return [...text.matchAll(/\[Parsed_showinfo[^\n]* n: *\d+ [^\n]* s:(\d+x\d+)/g)].map((m) =>
    m[1]!
  );
}

/**
 * Decodes pictures with ffmpeg to 8-bit grey pixels, for comparing them:
 * the first stream of a file, or an image sequence (`dir/%03d.jpg`).
 *
 * @param input The file or the sequence's pattern.
 * @param width The pictures' width (after scaling, if any).
 * @param height Their height.
 * @param scale Whether to scale each to `width` x `height` first (bilinear).
 * @returns Each picture's pixels, rows top to bottom.
 */
export async function greyFrames(
  input: string,
  width: number,
  height: number,
  scale = false,
): Promise<Uint8Array[]> {
  const filter = scale ? ["-vf", `scale=${width}:${height}:flags=bilinear`] : [];
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-i", input, "-map", "0:0", ...filter, "-autoscale", "0"],
      ...["-vsync", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const size = width * height;
  if (out.stdout.length % size !== 0) {
    throw new Error(
      `${out.stdout.length} bytes of pictures are not a whole number of ${width}x${height}`,
    );
  }
  return Array.from(
    { length: out.stdout.length / size },
    (_, i) => out.stdout.subarray(i * size, (i + 1) * size),
  );
}
