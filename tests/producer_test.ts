import { Frame, JpegEncoder } from "../ffi/mod.ts";
import { type Options, parseCommandLine } from "../src/cli.ts";
import { HELP } from "../src/help.ts";
import { CallError } from "../src/errors.ts";
import { Latest } from "../src/latest.ts";
import { Packet } from "../src/packet.ts";
import { jpegSize } from "../src/record/jpeg_size.ts";
import { AS_STORED, type FrameSetting } from "../src/send/frame_setting.ts";
import { PHASE_GAIN, phaseCorrection, Producer } from "../src/send/producer.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { makeClip } from "./_tools.ts";
import { quantizationTables } from "./_bytes.ts";

function options(...args: string[]): Options {
  const c = parseCommandLine(["-l", "1", "--no-window", ...args]);
  if (c.kind !== "call") throw new Error("expected a call");
  return c.options;
}

interface Produced {
  bytes: Uint8Array;
  t: number;
  quality: number;
  width: number;
  height: number;
}

async function produce(
  producer: Producer,
  count: number,
  setting?: () => FrameSetting,
): Promise<Produced[]> {
  const box = new Latest([0, 1, 2].map(() => new Packet(1024)));
  const abort = new AbortController();
  const running = producer.run(box, abort.signal, { onEnd: () => {}, setting });
  const got = [];
  while (got.length < count) {
    const p = (await box.take())!;
    const { timestamp: t, quality, width, height } = p;
    got.push({ bytes: p.payload.slice(0, p.length), t, quality, width, height });
    box.release(p);
  }
  abort.abort();
  box.close();
  await running;
  return got;
}

Deno.test("Producer encodes the test pattern into JPEG packets with capture times", async () => {
  using producer = (await Producer.open(options("-s", "test", "--size", "160x120", "--fps", "0")))!;
  assertEquals(producer.mode, "encode");
  const frames = await produce(producer, 5);
  for (const f of frames) {
    assertEquals([f.bytes[0], f.bytes[1]], [0xff, 0xd8]);
    // With no setting hook: --quality and --size, and the packet says so.
    assertEquals([f.quality, f.width, f.height], [80, 160, 120]);
    assertEquals(jpegSize(f.bytes), [160, 120]);
  }
  assert(frames.every((f, i) => i === 0 || f.t >= frames[i - 1]!.t), "capture times increase");
});

Deno.test("Producer encodes at the default quality --help names when no --quality is given", async () => {
  // Catches a producer or grabber that ignores the option (a fixed quality),
  // a parser that leaves it unset, and help text that names another default.
  // (The help may say more about the quality, over two lines, before its default.)
  const named = Number(/--quality 1\.\.100 +JPEG quality[^(]*\(default\s+(\d+)\b/.exec(HELP)?.[1]);
  assert(named >= 1 && named <= 100, "--help names a default quality");
  const o = options("-s", "test", "--size", "160x120", "--fps", "0");
  assertEquals(o.quality, named);
  using producer = (await Producer.open(o))!;
  const [sent] = await produce(producer, 1);
  using enc = new JpegEncoder();
  using frame = Frame.fromBGR(new Uint8Array(16 * 16 * 3).fill(128), 16, 16);
  const out = new Uint8Array(64 * 1024);
  const tablesAt = (quality: number): string => {
    const result = enc.encodeSync(frame, quality, out);
    assert(result.ok);
    return quantizationTables(out.subarray(0, result.length));
  };
  assert(tablesAt(named) !== "" && tablesAt(named) !== tablesAt(named - 5), "tables show quality");
  assertEquals(quantizationTables(sent!.bytes), tablesAt(named));
});

Deno.test("Producer passes an MJPEG file through, or re-encodes it when --quality is given", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 160, 120, 5);
    using pass = (await Producer.open(options("-s", clip, "--size", "160x120", "--fps", "0")))!;
    assertEquals(pass.mode, "passthrough");
    const passed = await produce(pass, 8); // loops the 5-frame file
    for (const p of passed) assertEquals([p.quality, p.width, p.height], [AS_STORED, 160, 120]);
    using again = (await Producer.open(options("-s", clip, "--size", "160x120", "-q", "30")))!;
    assertEquals(again.mode, "transcode");
    const recoded = await produce(again, 2);
    assert(recoded[0]!.bytes.length < passed[0]!.bytes.length, "quality 30 is smaller");
    assertEquals([recoded[0]!.quality, recoded[0]!.width, recoded[0]!.height], [30, 160, 120]);
    // Passthrough, asked for less than the ceiling: re-encoded, and said so.
    const lower = await produce(pass, 3, () => ({ quality: 30, width: 160, height: 120, fps: 0 }));
    for (const p of lower) {
      assertEquals([p.quality, p.width, p.height], [30, 160, 120]);
      assertEquals(quantizationTables(p.bytes), quantizationTables(recoded[0]!.bytes));
    }
    using scaled = (await Producer.open(options("-s", clip, "--size", "320x240")))!;
    assertEquals(scaled.mode, "encode");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Runs `producer` with a setting hook returning `setting` (changed by the
// test as it goes), taking every packet; `stop()` ends the run.
function running(
  producer: Producer,
  setting: FrameSetting,
): { packets: Produced[]; stop(): Promise<void> } {
  const box = new Latest([0, 1, 2].map(() => new Packet(1024)));
  const abort = new AbortController();
  const packets: Produced[] = [];
  const run = producer.run(box, abort.signal, { onEnd: () => {}, setting: () => setting });
  const take = (async () => {
    for (let p; (p = await box.take());) {
      const { timestamp: t, quality, width, height } = p;
      packets.push({ bytes: p.payload.slice(0, p.length), t, quality, width, height });
      box.release(p);
    }
  })();
  return {
    packets,
    async stop() {
      abort.abort();
      box.close();
      await Promise.all([run, take]);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// How many packets arrive in the next `ms`.
async function countFor(packets: Produced[], ms: number): Promise<number> {
  const before = packets.length;
  await sleep(ms);
  return packets.length - before;
}

Deno.test("Producer captures at the setting hook's rate, following a change from 30 to 10 fps", async () => {
  // --fps 0 (unpaced): a producer that ignores the hook's rate runs far
  // over 30 fps; one that reads it only once stays at 30 after the change.
  using producer = (await Producer.open(options("-s", "test", "--size", "160x120", "--fps", "0")))!;
  const setting = { quality: 60, width: 160, height: 120, fps: 30 };
  const run = running(producer, setting);
  try {
    await sleep(200);
    const fast = await countFor(run.packets, 1000);
    assert(fast > 20 && fast < 40, `hook at 30 fps: ${fast} frames in 1 s`);
    setting.fps = 10;
    await sleep(300);
    const slow = await countFor(run.packets, 1000);
    assert(slow >= 5 && slow < 15, `hook at 10 fps: ${slow} frames in 1 s`);
    for (const p of run.packets) assertEquals([p.quality, p.width, p.height], [60, 160, 120]);
  } finally {
    await run.stop();
  }
});

Deno.test("Producer makes frames at the setting hook's size and quality, following a change", async () => {
  using producer = (await Producer.open(
    options("-s", "test", "--size", "320x240", "--fps", "0", "-q", "90"),
  ))!;
  const setting = { quality: 70, width: 320, height: 240, fps: 0 };
  const run = running(producer, setting);
  try {
    while (run.packets.length < 5) await sleep(10);
    setting.quality = 30;
    setting.width = 160;
    setting.height = 120;
    const switched = run.packets.length;
    while (run.packets.length < switched + 10) await sleep(10);
    const before = run.packets.slice(0, switched), after = run.packets.slice(switched + 2);
    // Each packet says what its JPEG is: the first ones the first setting,
    // all after the change (but the frames already on their way) the new one.
    for (const p of before) {
      assertEquals([p.quality, p.width, p.height], [70, 320, 240]);
      assertEquals(jpegSize(p.bytes), [320, 240]);
    }
    for (const p of after) {
      assertEquals([p.quality, p.width, p.height], [30, 160, 120]);
      assertEquals(jpegSize(p.bytes), [160, 120]);
    }
    assert(after[0]!.bytes.length < before[0]!.bytes.length / 2);
  } finally {
    await run.stop();
  }
});

Deno.test("Producer.open() gives nothing for --source none and a clear error for a missing file", async () => {
  assertEquals(await Producer.open(options("-s", "none")), undefined);
  await assertRejects(
    () => Producer.open(options("-s", "/no/such.avi")),
    CallError,
    'Cannot open file "/no/such.avi": no such file',
  );
});

Deno.test("phaseCorrection() moves a schedule toward half an interval after the peer's captures", () => {
  const T = 1000 / 30;
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  // Already half an interval away, from either side of any number of periods.
  assert(near(phaseCorrection(100 + T / 2, 100, T), 0));
  assert(near(phaseCorrection(100 + T / 2 + 7 * T, 100, T), 0));
  assert(near(phaseCorrection(100 + T / 2 - 3 * T, 100, T), 0));
  // 2 ms late: move earlier by the gain's share; 2 ms early: later.
  assert(near(phaseCorrection(100 + T / 2 + 2, 100, T), 2 * PHASE_GAIN));
  assert(near(phaseCorrection(100 + T / 2 - 2 + 5 * T, 100, T), -2 * PHASE_GAIN));
  // In step with the peer: the largest move, half an interval's share.
  assert(near(Math.abs(phaseCorrection(100 + 4 * T, 100, T)), (T / 2) * PHASE_GAIN));
});

Deno.test("phaseCorrection(): two peers that each correct settle half an interval apart", () => {
  const T = 1000 / 30;
  // (Exactly in step is a fixed point, but an unstable one: any jitter ends it.)
  for (const start of [0.01, 1, 5, 16, 30]) {
    // Each side captures at its schedule and hears the other's capture 6 ms later.
    let a = 1000, b = 1000 + start;
    let heardA = a - T, heardB = b - T;
    for (let frame = 0; frame < 60; frame++) {
      a -= phaseCorrection(a, heardB, T);
      b -= phaseCorrection(b, heardA, T);
      [heardA, heardB] = [a, b];
      a += T;
      b += T;
    }
    const apart = (((b - a) % T) + T) % T;
    assert(Math.abs(apart - T / 2) < 0.05, `started ${start} ms apart, ended ${apart} ms apart`);
  }
});
