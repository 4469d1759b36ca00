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
 * @returns ffmpeg's error output.
 */
export async function decodeErrors(path: string): Promise<string> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-v", "error", "-i", path, "-f", "null", "-"],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr).trim();
  return out.success ? text : `exit ${out.code}: ${text}`;
}
