/**
 * `--list-sources`: the cameras this machine has, with the `--source` value
 * for each.
 *
 * @module
 */

import { CallError, messageOf } from "./errors.ts";
import { withoutControlCharacters } from "./text.ts";

/** Where to look for cameras; tests point these at a temporary directory. */
export interface CameraRoots {
  /** The device directory (default `/dev`). */
  dev?: string;
  /** The video4linux class directory in sysfs (default `/sys/class/video4linux`). */
  sys?: string;
}

/** A video device. */
export interface Camera {
  /** Its device path, e.g. `/dev/video0`. */
  path: string;
  /** Its number: `--source N` opens it. */
  index: number;
  /** The name the driver reports, or undefined when sysfs has none. */
  name?: string;
}

/**
 * Finds the video devices (`videoN` in `roots.dev`), with the names the
 * driver gives them (`roots.sys/videoN/name`), sorted by number.
 *
 * @param roots Where to look.
 * @returns The devices; none when the device directory has no `videoN`.
 * @throws {CallError} When the device directory exists but cannot be read.
 */
export async function findCameras(roots: CameraRoots = {}): Promise<Camera[]> {
  const dev = roots.dev ?? "/dev";
  const sys = roots.sys ?? "/sys/class/video4linux";
  const found: Array<[Camera, string]> = [];
  try {
    for await (const entry of Deno.readDir(dev)) {
      const m = /^video(\d+)$/.exec(entry.name);
      if (!m) continue;
      const path = `${dev.replace(/\/$/, "")}/${entry.name}`;
      found.push([{ path, index: Number(m[1]) }, entry.name]);
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    // Deno's message ends with "(os error N): readdir '...'"; the path is already named.
    const reason = messageOf(error).replace(/\s*\(os error \d+\).*$/, "").toLowerCase();
    throw new CallError(`Cannot list cameras in "${dev}": ${reason}`, { cause: error });
  }
  found.sort(([a], [b]) => a.index - b.index);
  for (const [camera, node] of found) {
    try {
      // A USB device chooses its own name: keep escape sequences off the terminal.
      const name = withoutControlCharacters(await Deno.readTextFile(`${sys}/${node}/name`));
      if (name !== "") camera.name = name;
    } catch {
      // No name file (no sysfs, or not a V4L2 driver): list the device without one.
    }
  }
  return found.map(([camera]) => camera);
}

/**
 * The `--list-sources` text: one line per camera,
 * `/dev/video0  Integrated Camera (use --source 0)`, or, with none, a line
 * saying so and what to use instead.
 *
 * @param roots Where to look (see {@linkcode findCameras}).
 * @returns Lines, each ending in a newline.
 * @throws {CallError} When the device directory cannot be read.
 */
export async function listSources(roots: CameraRoots = {}): Promise<string> {
  const cameras = await findCameras(roots);
  if (cameras.length === 0) {
    return `No cameras found (no ${roots.dev ?? "/dev"}/video* devices)\n` +
      "Use --source test for a test pattern; a video file or a URL also works (--source FILE or URL)\n";
  }
  return cameras
    .map((c) => `${c.path}  ${c.name === undefined ? "" : `${c.name} `}(use --source ${c.index})\n`)
    .join("");
}
