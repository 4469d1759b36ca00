/**
 * Recording file names: `--record FILE.mkv` makes `FILE.mkv`, then
 * `FILE-2.mkv`, `FILE-3.mkv`, … for each later start, never overwriting a
 * file that exists (each name is claimed by creating it exclusively).
 *
 * @module
 */

import { CallError, fileErrorReason } from "../errors.ts";

/** How many names {@linkcode claimRecordingPath} tries before giving up. */
export const MAX_RECORDINGS = 1000;

/**
 * The `n`th name for recordings based on `base`.
 *
 * @example
 * ```ts
 * recordingName("call.mkv", 1); // "call.mkv"
 * recordingName("call.mkv", 2); // "call-2.mkv"
 * ```
 *
 * @param base The `--record` path, ending in `.mkv`.
 * @param n 1 for the first recording.
 * @returns The path.
 */
export function recordingName(base: string, n: number): string {
  if (n <= 1) return base;
  const dot = base.lastIndexOf(".");
  const slash = base.lastIndexOf("/");
  const stem = dot > slash + 1 ? base.slice(0, dot) : base;
  const ext = dot > slash + 1 ? base.slice(dot) : "";
  return `${stem}-${n}${ext}`;
}

/**
 * Claims the first free name for a new recording by creating it, empty:
 * an existing file is never reused, even one created a moment ago by
 * another process.
 *
 * @param base The `--record` path.
 * @param first The number to start from (the caller's next, to skip names it used).
 * @returns The path claimed and its number.
 * @throws {CallError} When the file cannot be created, in one line saying why.
 */
export async function claimRecordingPath(
  base: string,
  first = 1,
): Promise<{ path: string; n: number }> {
  for (let n = Math.max(1, first); n < first + MAX_RECORDINGS; n++) {
    const path = recordingName(base, n);
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      file.close();
      return { path, n };
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw new CallError(`Cannot record to "${path}": ${reasonOf(error)}`);
    }
  }
  throw new CallError(
    `Cannot record to "${base}": ${MAX_RECORDINGS} files with its name already exist`,
  );
}

// Deno's "not found" for a file to create means its directory is missing.
function reasonOf(error: unknown): string {
  return error instanceof Deno.errors.NotFound ? "no such directory" : fileErrorReason(error);
}
