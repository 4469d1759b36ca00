/**
 * resizeFrame() (`pc_frame_resize`): scales a frame to the size asked for,
 * keeping the picture where it was, averaging when it shrinks, and refuses
 * bad arguments with a ShimError rather than crashing.
 */

import { Frame, resizeFrame, ShimError } from "../ffi/mod.ts";
import { Status } from "../ffi/symbols.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

const RED = [0, 0, 255], BLUE = [255, 0, 0];

// A frame whose left half is red and right half blue.
function halves(width: number, height: number): Frame {
  const bgr = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    bgr.set(i % width < width / 2 ? RED : BLUE, i * 3);
  }
  return Frame.fromBGR(bgr, width, height);
}

// The BGR pixel at x, y of packed pixels `width` wide.
function pixel(bgr: Uint8Array, width: number, x: number, y: number): number[] {
  const i = (y * width + x) * 3;
  return [bgr[i]!, bgr[i + 1]!, bgr[i + 2]!];
}

Deno.test("resizeFrame() gives the size asked for, the left half still red and the right blue", () => {
  using src = halves(64, 32);
  using dst = new Frame();
  // Catches a size ignored, a picture mirrored or shifted, and channels swapped.
  for (const [width, height] of [[32, 16], [20, 10], [128, 64], [64, 32]] as const) {
    resizeFrame(src, dst, width, height);
    assertEquals([dst.width, dst.height], [width, height]);
    const bgr = dst.toBGR();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Columns next to the middle may blend; the rest keep their colour.
        if (Math.abs(x + 0.5 - width / 2) < 2) continue;
        const want = x < width / 2 ? RED : BLUE;
        assertEquals(pixel(bgr, width, x, y), want, `${width}x${height} at ${x},${y}`);
      }
    }
  }
  assertEquals([src.width, src.height], [64, 32], "the source is left as it was");
});

Deno.test("resizeFrame() averages the pixels a shrunk pixel covers", () => {
  // Black and white columns halved: area averaging gives grey everywhere;
  // picking one pixel of each pair (nearest neighbour) gives black or white.
  const bgr = new Uint8Array(32 * 8 * 3).map((_, i) => Math.floor(i / 3) % 2 === 0 ? 0 : 255);
  using src = Frame.fromBGR(bgr, 32, 8);
  using dst = new Frame();
  resizeFrame(src, dst, 16, 4);
  for (const value of dst.toBGR()) assert(value >= 126 && value <= 129, `grey, got ${value}`);
});

Deno.test("resizeFrame() rejects a bad size, an empty source and src === dst with a ShimError", () => {
  using src = halves(64, 32);
  using dst = new Frame();
  using empty = new Frame();
  const cases: Array<[() => void, string]> = [
    [() => resizeFrame(src, dst, 0, 10), "invalid size 0x10"],
    [() => resizeFrame(src, dst, 10, -5), "invalid size 10x-5"],
    [() => resizeFrame(src, dst, 9000, 10), "invalid size 9000x10"],
    [() => resizeFrame(src, dst, 8192, 8192), "invalid size 8192x8192"],
    [() => resizeFrame(src, dst, 10.5, 10), "invalid size 10.5x10"],
    [() => resizeFrame(src, dst, NaN, 10), "invalid size NaNx10"],
    [() => resizeFrame(empty, dst, 10, 10), "the source frame is empty"],
    [() => resizeFrame(src, src, 10, 10), "the source is the destination"],
  ];
  for (const [call, message] of cases) {
    const error = assertThrows(call, ShimError, `Cannot resize frame: ${message}`);
    assertEquals((error as ShimError).code, Status.ERR_ARG, message);
  }
  // Nothing was written, and the frames still work.
  assertEquals([dst.width, dst.height], [0, 0]);
  resizeFrame(src, dst, 8, 4);
  assertEquals([dst.width, dst.height], [8, 4]);
  const closed = new Frame();
  closed.close();
  assertThrows(() => resizeFrame(src, closed, 8, 4), ShimError, "closed");
});
