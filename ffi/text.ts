/**
 * Text for the shim's drawing calls: printable ASCII, as the Hershey fonts
 * OpenCV draws with have glyphs for nothing else.
 *
 * @module
 */

/** How {@linkcode asciiCString} writes. */
export interface AsciiOptions {
  /** A buffer to write into when large enough; reused instead of allocating. */
  scratch?: Uint8Array<ArrayBuffer>;
  /** The most characters to keep (the rest are dropped). */
  max?: number;
}

/**
 * Encodes `text` as a NUL-terminated C string of printable ASCII: each other
 * character (a code point, so an emoji is one) becomes `?`.
 *
 * @example
 * ```ts
 * asciiCString("Zoë"); // the bytes of "Zo?\0"
 * ```
 *
 * @param text The text.
 * @param options A scratch buffer to reuse and a length limit.
 * @returns `options.scratch` when it was large enough, else a new buffer.
 */
export function asciiCString(text: string, options: AsciiOptions = {}): Uint8Array<ArrayBuffer> {
  const max = options.max ?? Infinity;
  // A UTF-16 unit never makes more than one byte here.
  const needed = Math.min(text.length, max) + 1;
  let out = options.scratch;
  if (out === undefined || out.length < needed) out = new Uint8Array(Math.max(needed, 64));
  let n = 0;
  for (let i = 0; i < text.length && n < max; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is one character, one '?'.
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) i++;
    }
    out[n++] = c >= 0x20 && c <= 0x7e ? c : 0x3f;
  }
  out[n] = 0;
  return out;
}
