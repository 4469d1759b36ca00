/**
 * Errors raised by the native layer, and the helpers that turn shim status
 * codes into them.
 *
 * @module
 */

import { Status } from "./symbols.ts";

/** A failure reported by the native shim (OpenCV or the shim itself). */
export class ShimError extends Error {
  /** The shim status code (`Status.ERR`, `Status.ERR_ARG`, ...). */
  readonly code: number;

  /**
   * Creates an error for a failed shim call.
   *
   * @param message What failed and why.
   * @param code The shim status code.
   */
  constructor(message: string, code: number = Status.ERR) {
    super(message);
    this.code = code;
  }
  /** The class name, `ShimError`. */
  override name = "ShimError";
}

/**
 * Reads a NUL-terminated string the shim returned, or `fallback` for NULL.
 *
 * @param ptr A borrowed `const char *`.
 * @param fallback The text for a NULL pointer.
 * @returns The string.
 */
export function readCString(ptr: Deno.PointerValue, fallback = "unknown error"): string {
  return ptr === null ? fallback : Deno.UnsafePointerView.getCString(ptr);
}

/**
 * Throws a {@linkcode ShimError} unless `code` is `Status.OK`.
 *
 * @param code The status a shim call returned.
 * @param what What the call was doing, e.g. `Cannot decode frame`.
 * @param detail Reads the handle's error message; called only on failure.
 * @throws {ShimError} When `code` is not `Status.OK`.
 */
export function check(code: number, what: string, detail: () => string): void {
  if (code !== Status.OK) throw new ShimError(`${what}: ${detail()}`, code);
}

/** Encodes a string as a NUL-terminated C string. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
}

/**
 * Reads the NUL-terminated message a shim call wrote into `buf`.
 *
 * @param buf The caller-supplied error buffer.
 * @returns The message, or `unknown error` if empty.
 */
export function bufferMessage(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  const text = new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
  return text === "" ? "unknown error" : text;
}
