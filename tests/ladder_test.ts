import {
  buildLadder,
  LOWEST_QUALITY,
  QUALITY_FLOOR,
  qualityShape,
  SizeModel,
} from "../src/send/ladder.ts";
import { assert, assertEquals } from "./_assert.ts";

const CEILING = { quality: 80, width: 640, height: 480, fps: 30 };

function describe(rungs: ReturnType<typeof buildLadder>): string[] {
  return rungs.map((r) => `${r.width}x${r.height} q${r.quality} ${r.fps}`);
}

Deno.test({
  name: "balanced ladder: quality to 40, then 3/4 and 1/2 size, lower quality, then the rate",
  permissions: "none",
}, () => {
  const rungs = describe(buildLadder(CEILING, "balanced"));
  assertEquals(rungs[0], "640x480 q80 30");
  assertEquals(rungs[8], "640x480 q40 30");
  assertEquals(rungs[9], "480x360 q80 30");
  assertEquals(rungs[18], "320x240 q80 30");
  assertEquals(rungs.slice(26, 30), [
    "320x240 q40 30",
    "320x240 q35 30",
    "320x240 q30 30",
    "320x240 q25 30",
  ]);
  assertEquals(rungs.slice(30, 35), [
    "320x240 q40 20",
    "320x240 q35 20",
    "320x240 q30 20",
    "320x240 q25 20",
    "320x240 q40 15",
  ]);
  assertEquals(rungs.at(-1), "320x240 q25 10");
  assertEquals(rungs.length, 3 * 9 + 3 + 3 * 4);
  assertEquals(new Set(rungs).size, rungs.length, "no rung twice");
});

Deno.test({
  name: "resolution keeps the size; framerate keeps the rate",
  permissions: "none",
}, () => {
  const resolution = buildLadder(CEILING, "resolution");
  assert(resolution.every((r) => r.width === 640 && r.height === 480));
  assertEquals(describe(resolution).slice(8, 13), [
    "640x480 q40 30",
    "640x480 q35 30",
    "640x480 q30 30",
    "640x480 q25 30",
    "640x480 q40 20",
  ]);
  assertEquals(describe(resolution).at(-1), "640x480 q25 10");
  const framerate = buildLadder(CEILING, "framerate");
  assert(framerate.every((r) => r.fps === 30));
  assertEquals(describe(framerate).at(-1), "320x240 q25 30");
});

Deno.test({
  name: "a ladder starts at the ceiling whatever it is, and never goes below the lowest quality",
  permissions: "none",
}, () => {
  const odd = buildLadder({ quality: 83, width: 1280, height: 720, fps: 25 }, "balanced");
  assertEquals(describe(odd).slice(0, 3), [
    "1280x720 q83 25",
    "1280x720 q80 25",
    "1280x720 q75 25",
  ]);
  assert(odd.some((r) => r.width === 960 && r.height === 540));
  assertEquals(describe(odd).at(-1), "640x360 q25 8");
  assert(odd.every((r) => r.quality >= LOWEST_QUALITY));
  assertEquals(odd.filter((r) => r.quality < QUALITY_FLOOR && r.sizeIndex !== 2), []);
  // A ceiling below the lowest quality is the only quality.
  const low = buildLadder({ quality: 20, width: 640, height: 480, fps: 30 }, "resolution");
  assert(low.every((r) => r.quality === 20), describe(low).join());
  assertEquals(describe(low), [
    "640x480 q20 30",
    "640x480 q20 20",
    "640x480 q20 15",
    "640x480 q20 10",
  ]);
  // Unpaced (--fps 0): the top rung stays unpaced, lower rates are 20, 15 and 10.
  const unpaced = buildLadder({ quality: 80, width: 640, height: 480, fps: 0 }, "balanced");
  assertEquals(unpaced.map((r) => r.fps).filter((f, i, all) => all.indexOf(f) === i), [
    0,
    20,
    15,
    10,
  ]);
  // A slow ceiling keeps only the rates below it.
  const slow = buildLadder({ quality: 80, width: 640, height: 480, fps: 12 }, "balanced");
  assertEquals(slow.map((r) => r.fps).filter((f, i, all) => all.indexOf(f) === i), [12, 8, 6]);
});

Deno.test({ name: "qualityShape is 1 at 80 and grows with quality", permissions: "none" }, () => {
  assertEquals(qualityShape(80), 1);
  for (let q = 10; q < 100; q += 3) assert(qualityShape(q) < qualityShape(q + 3), `at ${q}`);
  assert(Math.abs(qualityShape(42.5) - (qualityShape(40) + qualityShape(45)) / 2) < 1e-9);
});

Deno.test({
  name: "SizeModel follows the sizes produced and predicts other sizes by area",
  permissions: "none",
}, () => {
  const rungs = buildLadder(CEILING, "balanced");
  const model = new SizeModel(rungs);
  assertEquals(model.predict(0), undefined);
  for (let i = 0; i < 20; i++) model.learn(0, 20_000);
  assert(Math.abs(model.predict(0)! - 20_000) < 1, `${model.predict(0)}`);
  // q40 at full size: the shape's ratio until a frame there says otherwise.
  const q40 = rungs.findIndex((r) => r.quality === 40 && r.sizeIndex === 0);
  assert(Math.abs(model.predict(q40)! - 20_000 * qualityShape(40)) < 1);
  for (let i = 0; i < 30; i++) model.learn(q40, 15_000);
  assert(Math.abs(model.predict(q40)! - 15_000) < 300, `learned ${model.predict(q40)}`);
  // Half the size each way: a quarter of the area, until learned.
  const half = rungs.findIndex((r) => r.sizeIndex === 2 && r.quality === 80);
  const predictedHalf = model.predict(half)!;
  assert(predictedHalf > 3_000 && predictedHalf < 7_000, `${predictedHalf}`);
  // The content changes: the level follows within a few frames.
  for (let i = 0; i < 10; i++) model.learn(0, 40_000);
  assert(model.predict(0)! > 35_000, `${model.predict(0)}`);
  // Nonsense is ignored.
  model.learn(0, Number.NaN);
  model.learn(0, -5);
  assert(Number.isFinite(model.predict(0)!));
});

Deno.test({
  name: "SizeModel predicts a passthrough source's top rung from its stored frames",
  permissions: "none",
}, () => {
  const rungs = buildLadder({ ...CEILING, quality: 90 }, "balanced");
  const model = new SizeModel(rungs);
  model.learn(0, 50_000, true);
  assertEquals(model.predict(0, true), 50_000);
  // Re-encoded rungs are guessed from the stored size, as if stored at the ceiling's quality.
  const q75 = rungs.findIndex((r) => r.quality === 75 && r.sizeIndex === 0);
  const expected = 50_000 / qualityShape(90) * qualityShape(75);
  assert(Math.abs(model.predict(q75)! - expected) < 1, `${model.predict(q75)} vs ${expected}`);
});

Deno.test({
  name: "SizeModel: a size's first frame sets its level, not the rung's correction",
  permissions: "none",
}, () => {
  const rungs = buildLadder(CEILING, "balanced");
  const model = new SizeModel(rungs);
  for (let i = 0; i < 10; i++) model.learn(0, 20_000);
  // At 320x240 the content costs twice what the area suggests.
  const half80 = rungs.findIndex((r) => r.sizeIndex === 2 && r.quality === 80);
  const half60 = rungs.findIndex((r) => r.sizeIndex === 2 && r.quality === 60);
  model.learn(half80, 10_000);
  // Another quality at that size follows the new level by the shape alone.
  const expected = 10_000 * qualityShape(60) / qualityShape(80);
  assert(
    Math.abs(model.predict(half60)! - expected) < 1,
    `${model.predict(half60)} vs ${expected}`,
  );
});

Deno.test({ name: "an odd --size is the ladder's top rung exactly", permissions: "none" }, () => {
  const rungs = buildLadder({ quality: 80, width: 853, height: 481, fps: 30 }, "balanced");
  assertEquals([rungs[0]!.width, rungs[0]!.height], [853, 481]);
  const smaller = rungs.filter((r) => r.sizeIndex > 0);
  assert(smaller.every((r) => r.width % 2 === 0 && r.height % 2 === 0 && r.width < 853));
});
