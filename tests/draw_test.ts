/**
 * ffi/draw.ts: every drawing call checked pixel by pixel against what it
 * should have drawn, and against what it must leave alone.
 */

import {
  type Bgr,
  drawRect,
  drawText,
  fillFrame,
  Frame,
  measureText,
  overlayScaled,
  type Rect,
  shadeRect,
  ShimError,
} from "../ffi/mod.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

const BLACK: Bgr = [0, 0, 0];
const RED: Bgr = [0, 0, 255];
const BLUE: Bgr = [255, 0, 0];
const GREEN: Bgr = [0, 200, 0];

/** Packed BGR pixels with a pixel accessor. */
class Pixels {
  readonly bgr: Uint8Array;
  constructor(readonly width: number, readonly height: number, bgr: Uint8Array) {
    this.bgr = bgr;
  }
  static of(frame: Frame): Pixels {
    return new Pixels(frame.width, frame.height, frame.toBGR());
  }
  at(x: number, y: number): Bgr {
    const i = (y * this.width + x) * 3;
    return [this.bgr[i]!, this.bgr[i + 1]!, this.bgr[i + 2]!];
  }
  /** Every pixel for which `expected` returns a colour must have it (undefined: not checked). */
  expect(expected: (x: number, y: number) => Bgr | undefined, what: string): void {
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) {
        const want = expected(x, y);
        if (want === undefined) continue;
        const got = this.at(x, y);
        if (got.some((v, c) => v !== want[c])) {
          throw new Error(`${what}: pixel (${x}, ${y}) is [${got}], expected [${want}]`);
        }
      }
    }
  }
}

function solid(width: number, height: number, color: Bgr): Frame {
  const frame = new Frame();
  fillFrame(frame, width, height, color);
  return frame;
}

function inside(r: Rect, x: number, y: number): boolean {
  return x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
}

// Whether (x, y) is in the band `t` pixels wide just inside r.
function inBand(r: Rect, t: number, x: number, y: number): boolean {
  return inside(r, x, y) &&
    (x < r.x + t || x >= r.x + r.width - t || y < r.y + t || y >= r.y + r.height - t);
}

Deno.test("fillFrame() sizes a frame and fills every pixel; it rejects a bad size or colour", () => {
  using frame = new Frame();
  fillFrame(frame, 7, 5, [1, 2, 3]);
  assertEquals([frame.width, frame.height], [7, 5]);
  Pixels.of(frame).expect(() => [1, 2, 3], "first fill");
  fillFrame(frame, 3, 9, [250, 0, 9]);
  assertEquals([frame.width, frame.height], [3, 9]);
  Pixels.of(frame).expect(() => [250, 0, 9], "refill at another size");
  assertThrows(
    () => fillFrame(frame, 0, 5, BLACK),
    ShimError,
    "Cannot fill frame: invalid size 0x5",
  );
  assertThrows(() => fillFrame(frame, 9000, 5, BLACK), ShimError, "invalid size 9000x5");
  const error = assertThrows(
    () => fillFrame(frame, 5, 5, [256, 0, 0]),
    ShimError,
    "Cannot fill frame: invalid colour [256, 0, 0]",
  );
  assertEquals((error as ShimError).code, -2);
  assertThrows(() => fillFrame(frame, 5, 5, [0, 0.5, 0]), ShimError, "invalid colour");
  assertThrows(() => fillFrame(frame, NaN, 5, BLACK), ShimError, "NaN is not a usable number");
  Pixels.of(frame).expect(() => [250, 0, 9], "a failed fill changes nothing");
});

Deno.test("shadeRect() blends a clipped rectangle towards a colour and leaves the rest", () => {
  using frame = solid(20, 10, [200, 100, 50]);
  const rect = { x: -5, y: 2, width: 10, height: 3 }; // reaches past the left edge
  shadeRect(frame, rect);
  Pixels.of(frame).expect(
    (x, y) => inside(rect, x, y) ? [100, 50, 25] : [200, 100, 50],
    "half towards black by default",
  );
  const full = { x: 15, y: 8, width: 100, height: 100 };
  shadeRect(frame, full, { color: [10, 20, 30], alpha: 1 });
  shadeRect(frame, { x: 0, y: 0, width: 20, height: 10 }, { alpha: 0 });
  Pixels.of(frame).expect(
    (x, y) =>
      inside(full, x, y) ? [10, 20, 30] : inside(rect, x, y) ? [100, 50, 25] : [200, 100, 50],
    "alpha 1 paints, alpha 0 leaves",
  );
  shadeRect(frame, { x: 50, y: 50, width: 5, height: 5 }); // off the frame: nothing
  shadeRect(frame, { x: 2, y: 2, width: 0, height: 5 }); // no area: nothing
  Pixels.of(frame).expect(
    (x, y) =>
      inside(full, x, y) ? [10, 20, 30] : inside(rect, x, y) ? [100, 50, 25] : [200, 100, 50],
    "empty rectangles draw nothing",
  );
  assertThrows(
    () => shadeRect(frame, rect, { alpha: 1.5 }),
    ShimError,
    "alpha 1.5 is not from 0 to 1",
  );
  assertThrows(
    () => shadeRect(frame, { x: 0, y: 0, width: -1, height: 2 }),
    ShimError,
    "Cannot shade rectangle: invalid rectangle: negative size",
  );
  using empty = new Frame();
  assertThrows(() => shadeRect(empty, rect), ShimError, "Cannot shade rectangle: frame is empty");
});

Deno.test("drawRect() draws an outline inside the rectangle, or fills it, clipped", () => {
  using frame = solid(24, 16, BLACK);
  const outlined = { x: 3, y: 4, width: 10, height: 8 };
  drawRect(frame, outlined, RED, 2);
  Pixels.of(frame).expect(
    (x, y) => inBand(outlined, 2, x, y) ? RED : BLACK,
    "2-pixel outline",
  );
  fillFrame(frame, 24, 16, BLACK);
  const filled = { x: 20, y: -3, width: 10, height: 6 }; // reaches past two edges
  drawRect(frame, filled, BLUE, 0);
  drawRect(frame, { x: -1, y: 10, width: 6, height: 6 }, GREEN); // default thickness 1
  Pixels.of(frame).expect((x, y) => {
    if (inside(filled, x, y)) return BLUE;
    if (inBand({ x: -1, y: 10, width: 6, height: 6 }, 1, x, y)) return GREEN;
    return BLACK;
  }, "a fill and a clipped outline");
  // An outline as wide as half the rectangle fills it.
  fillFrame(frame, 24, 16, BLACK);
  drawRect(frame, outlined, RED, 5);
  Pixels.of(frame).expect((x, y) => inside(outlined, x, y) ? RED : BLACK, "thick outline");
  assertThrows(
    () => drawRect(frame, { x: 0, y: 0, width: 4, height: -4 }, RED),
    ShimError,
    "Cannot draw rectangle: invalid rectangle",
  );
});

// The box of the pixels that differ from `background`, or undefined.
function inked(frame: Frame, background: Bgr): Rect | undefined {
  const p = Pixels.of(frame);
  let [x0, y0, x1, y1] = [Infinity, Infinity, -1, -1];
  for (let y = 0; y < p.height; y++) {
    for (let x = 0; x < p.width; x++) {
      if (p.at(x, y).some((v, c) => v !== background[c])) {
        x0 = Math.min(x0, x), y0 = Math.min(y0, y), x1 = Math.max(x1, x), y1 = Math.max(y1, y);
      }
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");

Deno.test("drawText() draws only inside the box measureText() gives, and fills most of it", () => {
  const background: Bgr = [30, 40, 50];
  for (const lineHeight of [12, 17, 24, 32, 45, 64, 101]) {
    for (const thickness of [undefined, 1, 3]) {
      if (thickness === 3 && lineHeight < 17) continue; // too small for it
      // Every printable character, the tall and the deep ones included.
      for (const text of [PRINTABLE, PRINTABLE.trim(), "Hg", "[|]", "_"]) {
        const size = measureText(text, lineHeight, thickness);
        assertEquals(size.height, lineHeight);
        using frame = solid(size.width + 40, lineHeight + 40, background);
        const at = { x: 20, y: 20 };
        const width = drawText(frame, text, { ...at, lineHeight, thickness, color: [255, 255, 0] });
        assertEquals(width, size.width);
        const box = { ...at, ...size };
        const ink = inked(frame, background);
        const where = `"${text}" at line height ${lineHeight}, thickness ${thickness}: ink ${
          JSON.stringify(ink)
        }, box ${JSON.stringify(box)}`;
        assert(ink !== undefined, where);
        assert(
          ink.x >= box.x && ink.y >= box.y && ink.x + ink.width <= box.x + box.width &&
            ink.y + ink.height <= box.y + box.height,
          `outside the box: ${where}`,
        );
        if (text === PRINTABLE.trim()) {
          // The box is tight: the ink spans nearly all of it.
          // (Glyphs have side bearings; the box leaves room for ink and rounding.)
          assert(ink.width >= box.width - 4 - lineHeight / 4, `loose: ${where}`);
          assert(ink.height >= box.height - 5 - lineHeight / 8, `loose: ${where}`);
        }
      }
    }
  }
});

Deno.test("drawText() draws non-ASCII as '?', empty text as nothing, and clips at the frame", () => {
  using a = solid(300, 60, BLACK);
  using b = solid(300, 60, BLACK);
  const options = { x: 5, y: 10, lineHeight: 30 };
  assertEquals(drawText(a, "Zoë 😀\t", options), drawText(b, "Zo? ??", options));
  assertEquals(a.toBGR(), b.toBGR());
  using c = solid(300, 60, BLACK);
  assertEquals(drawText(c, "", options), 0);
  assertEquals(measureText("", 30), { width: 0, height: 30 });
  assertEquals(inked(c, BLACK), undefined);
  // Half off the frame: what is inside is drawn, nothing breaks.
  drawText(c, "WWWW", { x: -40, y: 45, lineHeight: 30 });
  const ink = inked(c, BLACK);
  assert(ink !== undefined && ink.x === 0 && ink.y >= 45, JSON.stringify(ink));
  // Colour and thickness are used: thicker strokes ink more pixels.
  const count = (thickness: number): number => {
    using f = solid(300, 60, BLACK);
    drawText(f, "Hello", { ...options, thickness, color: GREEN });
    let n = 0;
    const p = Pixels.of(f);
    for (let i = 0; i < p.bgr.length; i += 3) if (p.bgr[i + 1] === 200 && p.bgr[i] === 0) n++;
    return n;
  };
  assert(count(3) > count(1) * 1.5, `thickness 1: ${count(1)}, 3: ${count(3)}`);
});

Deno.test("drawText() and measureText() reject a line height, thickness or frame they cannot use", () => {
  using frame = solid(100, 40, BLACK);
  assertThrows(
    () => drawText(frame, "x", { x: 0, y: 0, lineHeight: 5 }),
    ShimError,
    "Cannot draw text: invalid argument: line height out of range for the thickness",
  );
  assertThrows(
    () => measureText("x", 20, 0),
    ShimError,
    "Cannot measure text: invalid argument: thickness must be from 1 to 255",
  );
  assertThrows(() => measureText("x", 10_000, 2), ShimError, "line height out of range");
  assertThrows(() => drawText(frame, "x", { x: Infinity, y: 0, lineHeight: 20 }), ShimError);
  using empty = new Frame();
  assertThrows(
    () => drawText(empty, "x", { x: 0, y: 0, lineHeight: 20 }),
    ShimError,
    "Cannot draw text: frame is empty",
  );
  const closed = solid(10, 10, BLACK);
  closed.close();
  assertThrows(
    () => drawText(closed, "x", { x: 0, y: 0, lineHeight: 20 }),
    ShimError,
    "Cannot use frame: it is closed",
  );
});

// A width x height picture: red left half, blue right half.
function halves(width: number, height: number): Frame {
  const bgr = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) bgr.set(i % width < width / 2 ? RED : BLUE, i * 3);
  return Frame.fromBGR(bgr, width, height);
}

Deno.test("overlayScaled() scales a picture into the rectangle with its border, and nothing else", () => {
  using dst = solid(320, 240, BLACK);
  using src = solid(64, 48, GREEN);
  const rect = { x: 200, y: 150, width: 96, height: 72 }; // enlarged 1.5 times
  overlayScaled(dst, src, rect, { border: 2, borderColor: [255, 255, 255] });
  Pixels.of(dst).expect(
    (x, y) => inBand(rect, 2, x, y) ? [255, 255, 255] : inside(rect, x, y) ? GREEN : BLACK,
    "enlarged with a border",
  );
  // Shrunk, with no border by default, and the default border colour.
  using big = solid(640, 480, [10, 20, 30]);
  fillFrame(dst, 320, 240, BLACK);
  const small = { x: 8, y: 8, width: 160, height: 120 };
  overlayScaled(dst, big, small);
  const framed = { x: 170, y: 8, width: 40, height: 30 };
  overlayScaled(dst, big, framed, { border: 1 });
  Pixels.of(dst).expect((x, y) => {
    if (inside(small, x, y)) return [10, 20, 30];
    if (inBand(framed, 1, x, y)) return [230, 230, 230];
    return inside(framed, x, y) ? [10, 20, 30] : BLACK;
  }, "shrunk, with and without a border");
});

Deno.test("overlayScaled() mirrors left to right, also when the rectangle reaches past an edge", () => {
  using src = halves(64, 48);
  using dst = solid(100, 80, BLACK);
  const rect = { x: 10, y: 10, width: 32, height: 24 };
  const halfOf = (r: Rect, x: number, mirror: boolean): Bgr =>
    (x < r.x + r.width / 2) !== mirror ? RED : BLUE;
  for (const mirror of [false, true]) {
    overlayScaled(dst, src, rect, { mirror });
    Pixels.of(dst).expect(
      (x, y) => inside(rect, x, y) ? halfOf(rect, x, mirror) : BLACK,
      mirror ? "mirrored" : "as is",
    );
  }
  // Past the top-left corner only the right half shows; past the
  // bottom-right only the left half — swapped when mirrored.
  for (const mirror of [false, true]) {
    fillFrame(dst, 100, 80, BLACK);
    const topLeft = { x: -16, y: -12, width: 32, height: 24 };
    const bottomRight = { x: 84, y: 68, width: 32, height: 24 };
    overlayScaled(dst, src, topLeft, { mirror });
    overlayScaled(dst, src, bottomRight, { mirror, border: 1, borderColor: GREEN });
    overlayScaled(dst, src, { x: 200, y: 0, width: 10, height: 10 }); // off the frame
    const p = Pixels.of(dst);
    p.expect((x, y) => {
      if (inside(topLeft, x, y)) return mirror ? RED : BLUE;
      if (inBand(bottomRight, 1, x, y)) return GREEN;
      if (inside(bottomRight, x, y)) return mirror ? BLUE : RED;
      return BLACK;
    }, `clipped, ${mirror ? "mirrored" : "as is"}`);
  }
});

Deno.test("overlayScaled() rejects the same frame twice, an empty frame and a negative size", () => {
  using dst = solid(50, 50, BLACK);
  using src = solid(10, 10, RED);
  const rect = { x: 0, y: 0, width: 20, height: 20 };
  assertThrows(
    () => overlayScaled(dst, dst, rect),
    ShimError,
    "Cannot overlay frame: source and destination are the same frame",
  );
  using empty = new Frame();
  assertThrows(() => overlayScaled(dst, empty, rect), ShimError, "frame is empty");
  assertThrows(() => overlayScaled(empty, src, rect), ShimError, "frame is empty");
  assertThrows(
    () => overlayScaled(dst, src, { ...rect, width: -20 }),
    ShimError,
    "invalid rectangle: negative size or border",
  );
  assertThrows(() => overlayScaled(dst, src, rect, { border: -1 }), ShimError, "negative size");
  assertThrows(
    () => overlayScaled(dst, src, rect, { borderColor: [0, 0, 300] }),
    ShimError,
    "invalid colour [0, 0, 300]",
  );
  Pixels.of(dst).expect(() => BLACK, "nothing drawn by a refused call");
});
