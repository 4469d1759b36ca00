/**
 * Snapshots (the `s` key): the peer's last frame, written as the JPEG bytes
 * received, to a new file in `--snapshot-dir`.
 *
 * @module
 */

import { join } from "node:path";
import { CallError, fileErrorReason as reasonOf } from "../errors.ts";

/** How many names `saveSnapshot` tries in one millisecond before giving up. */
export const MAX_ATTEMPTS = 1000;

/** Longest peer name kept in a file name, in characters (each at most 4 bytes of UTF-8). */
const MAX_NAME_CHARS = 48;

/**
 * Checks that `dir` exists, is a directory and is writable, by creating and
 * removing a probe file, so that a bad `--snapshot-dir` is reported when the
 * call starts rather than at the first `s`.
 *
 * @param dir The directory.
 * @throws {CallError} With one line naming the directory and what is wrong.
 */
export async function checkSnapshotDir(dir: string): Promise<void> {
  const where = `Cannot save snapshots in "${dir}"`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new CallError(
        `${where}: no such directory (create it or choose another --snapshot-dir)`,
      );
    }
    throw new CallError(`${where}: ${reasonOf(error)}`, { cause: error });
  }
  if (!info.isDirectory) {
    throw new CallError(`${where}: it is not a directory (choose another --snapshot-dir)`);
  }
  const probe = join(dir, `.peercam-probe-${Deno.pid}-${crypto.randomUUID()}`);
  try {
    (await Deno.open(probe, { write: true, createNew: true })).close();
  } catch (error) {
    throw new CallError(
      `${where}: cannot create a file there: ${reasonOf(error)} (choose another --snapshot-dir)`,
      { cause: error },
    );
  }
  await Deno.remove(probe).catch(() => {});
}

/**
 * The file name for a snapshot: `peercam-PEER-YYYYMMDD-HHMMSS-mmm.jpg` in
 * local time, with `-N` before `.jpg` from the second attempt on. The peer's
 * name keeps letters, digits, `-`, `_` and `.`; anything else becomes `_`, a
 * run of dots becomes `_`, and an empty name becomes `peer`.
 *
 * @param peerName The peer's name, as it sent it.
 * @param at When the snapshot was taken.
 * @param attempt 1 for the first name tried, 2 for the next, ...
 * @returns A file name with no directory part.
 *
 * @example
 * ```ts
 * snapshotName("bob@box", new Date(2026, 0, 2, 3, 4, 5, 6)); // "peercam-bob_box-20260102-030405-006.jpg"
 * ```
 */
export function snapshotName(peerName: string, at: Date, attempt = 1): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
  const date = `${pad(at.getFullYear(), 4)}${pad(at.getMonth() + 1)}${pad(at.getDate())}`;
  const time = `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
  const suffix = attempt > 1 ? `-${attempt}` : "";
  return `peercam-${safeName(peerName)}-${date}-${time}-${
    pad(at.getMilliseconds(), 3)
  }${suffix}.jpg`;
}

function safeName(name: string): string {
  const kept = Array.from(name.trim())
    .slice(0, MAX_NAME_CHARS)
    .map((c) => /^[\p{L}\p{N}._-]$/u.test(c) ? c : "_")
    .join("")
    .replace(/\.{2,}/g, "_");
  return kept === "" ? "peer" : kept;
}

/**
 * Writes `bytes` to a new file in `dir`, never replacing a file: when the
 * name is taken it tries `-2`, `-3`, ... The bytes are copied before the first
 * `await`, so the caller may reuse its buffer at once.
 *
 * @param dir The directory (checked at start with {@linkcode checkSnapshotDir}).
 * @param peerName The peer's name, for the file name.
 * @param bytes The JPEG, exactly as received.
 * @param at When the snapshot was taken (default: now).
 * @returns The path written.
 * @throws {CallError} With one line when the file cannot be written (the
 * directory was removed, the disk is full); no partial file is left.
 */
export async function saveSnapshot(
  dir: string,
  peerName: string,
  bytes: Uint8Array,
  at: Date = new Date(),
): Promise<string> {
  const data = bytes.slice();
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const path = join(dir, snapshotName(peerName, at, attempt));
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { write: true, createNew: true });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw new CallError(`Cannot save a snapshot in "${dir}": ${reasonOf(error)}`, {
        cause: error,
      });
    }
    try {
      for (let written = 0; written < data.length;) {
        written += await file.write(data.subarray(written));
      }
    } catch (error) {
      file.close();
      await Deno.remove(path).catch(() => {});
      throw new CallError(`Cannot save snapshot "${path}": ${reasonOf(error)}`, { cause: error });
    }
    file.close();
    return path;
  }
  throw new CallError(
    `Cannot save a snapshot in "${dir}": ${MAX_ATTEMPTS} files with this time's name already exist`,
  );
}
