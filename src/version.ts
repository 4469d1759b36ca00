/**
 * The program's version, kept in step with `deno.json`.
 *
 * @module
 */

/** peercam's version. */
export const VERSION = "0.1.0";
