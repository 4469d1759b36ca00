/**
 * A file-existence check for messages and probes.
 *
 * @module
 */

/**
 * Whether `path` exists (any kind of file).
 *
 * @param path A file system path.
 * @returns True when `stat` succeeds.
 */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
