import { fillFrame, Frame, JpegEncoder } from "../ffi/mod.ts";
import {
  decodeScale,
  SELF_VIEW_FPS,
  SELF_VIEW_SHARE,
  SelfView,
  selfViewRect,
} from "../src/view/self_view.ts";
import { assert, assertEquals } from "./_assert.ts";

Deno.test({
  name: "selfViewRect() is a quarter of the width, bottom-right, with the own aspect",
  permissions: "none",
}, () => {
  assertEquals(selfViewRect({ width: 640, height: 480 }, { width: 160, height: 120 }), {
    x: 640 - 160 - 13,
    y: 480 - 120 - 13,
    width: 160,
    height: 120,
  });
  // A 16:9 own video in a 4:3 window keeps its shape.
  const wide = selfViewRect({ width: 640, height: 480 }, { width: 1280, height: 720 });
  assertEquals([wide.width, wide.height], [160, 90]);
  assertEquals(wide.x + wide.width + 13, 640, "right margin");
  assertEquals(wide.y + wide.height + 13, 480, "bottom margin");
  assertEquals(Math.round(640 * SELF_VIEW_SHARE), wide.width);
});

Deno.test({ name: "selfViewRect() stays inside a tiny image", permissions: "none" }, () => {
  const r = selfViewRect({ width: 20, height: 10 }, { width: 640, height: 480 });
  assert(r.x >= 0 && r.y >= 0 && r.x + r.width <= 20 && r.y + r.height <= 10, JSON.stringify(r));
});

Deno.test({
  name: "decodeScale() takes the smallest decode at least as wide as wanted",
  permissions: "none",
}, () => {
  assertEquals(decodeScale(640, 160), 4);
  assertEquals(decodeScale(640, 161), 2);
  assertEquals(decodeScale(1920, 160), 8);
  assertEquals(decodeScale(320, 300), 1);
});

function ownJpeg(bgr: [number, number, number]): Uint8Array<ArrayBuffer> {
  using frame = new Frame();
  fillFrame(frame, 640, 480, bgr);
  using encoder = new JpegEncoder();
  const out = new Uint8Array(1 << 20);
  const result = encoder.encodeSync(frame, 90, out);
  if (!result.ok) throw new Error("the test frame does not fit");
  return out.slice(0, result.length);
}

function pixel(frame: Frame, x: number, y: number): number[] {
  const bgr = frame.toBGR();
  const o = (y * frame.width + x) * 3;
  return [bgr[o]!, bgr[o + 1]!, bgr[o + 2]!];
}

Deno.test("SelfView draws the own video in the corner, renewed at most SELF_VIEW_FPS times a second", () => {
  using view = new SelfView(true);
  using image = new Frame();
  fillFrame(image, 640, 480, [0, 0, 0]);
  assertEquals(view.drawInto(image), null, "nothing before the first own frame");
  view.offer(ownJpeg([0, 0, 255]), 640); // red
  assert(view.refresh(160, 0));
  const rect = view.drawInto(image)!;
  const [b, g, r] = pixel(image, rect.x + rect.width / 2, rect.y + rect.height / 2);
  assert(r! > 200 && g! < 50 && b! < 50, `centre is not red: ${[b, g, r]}`);
  assertEquals(pixel(image, 10, 10), [0, 0, 0], "outside the corner untouched");

  // A new own frame within the same 1/SELF_VIEW_FPS s is not decoded yet.
  view.offer(ownJpeg([255, 0, 0]), 640); // blue
  assertEquals(view.refresh(160, 1000 / SELF_VIEW_FPS - 1), false);
  assert(view.fresh);
  assert(view.refresh(160, 1000 / SELF_VIEW_FPS));
  view.drawInto(image);
  const [b2, , r2] = pixel(image, rect.x + rect.width / 2, rect.y + rect.height / 2);
  assert(b2! > 200 && r2! < 50, "renewed to blue");
});

Deno.test("SelfView copies an offered frame only when it wants one, and nothing while hidden", () => {
  using view = new SelfView(false);
  view.offer(ownJpeg([0, 0, 255]), 640);
  assertEquals(view.fresh, false, "hidden: not even copied");
  view.visible = true;
  const first = ownJpeg([0, 0, 255]);
  view.offer(first, 640);
  first.fill(0); // the caller reuses its buffer at once: the self-view has its copy
  assert(view.refresh(160, 0), "the copy decodes");
  view.offer(ownJpeg([0, 255, 0]), 640);
  view.offer(ownJpeg([255, 0, 0]), 640); // not wanted until the next refresh
  assert(view.refresh(160, 1000));
  using image = new Frame();
  fillFrame(image, 640, 480, [0, 0, 0]);
  const rect = view.drawInto(image)!;
  const [b, g] = pixel(image, rect.x + rect.width / 2, rect.y + rect.height / 2);
  assert(g! > 200 && b! < 50, "the first frame offered after a refresh wins");
});
