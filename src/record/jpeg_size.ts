/**
 * Reads a JPEG's frame size from its start-of-frame marker, without
 * decoding (for the recording's track headers).
 *
 * @module
 */

/**
 * The width and height a JPEG declares.
 *
 * @example
 * ```ts
 * jpegSize(bytes); // [640, 480]
 * ```
 *
 * @param jpeg The bytes.
 * @returns `[width, height]`, or null when no start-of-frame marker is found.
 */
export function jpegSize(jpeg: Uint8Array): [number, number] | null {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  let i = 2;
  while (i + 4 <= jpeg.length) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1]!;
    if (marker === 0xff) { // fill byte
      i++;
      continue;
    }
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > jpeg.length) return null;
      const height = (jpeg[i + 5]! << 8) | jpeg[i + 6]!;
      const width = (jpeg[i + 7]! << 8) | jpeg[i + 8]!;
      return width > 0 && height > 0 ? [width, height] : null;
    }
    if (marker === 0xda || length < 2) return null; // scan data before any frame header
    i += 2 + length;
  }
  return null;
}
