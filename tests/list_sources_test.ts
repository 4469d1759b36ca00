import { CallError } from "../src/errors.ts";
import { findCameras, listSources } from "../src/list_sources.ts";
import { assert, assertEquals, assertRejects } from "./_assert.ts";

/** Makes fake `/dev` and `/sys/class/video4linux` trees; `names` maps device to name file. */
async function fakeRoots(
  devices: string[],
  names: Record<string, string>,
): Promise<{ dev: string; sys: string; [Symbol.asyncDispose](): Promise<void> }> {
  const root = await Deno.makeTempDir();
  const dev = `${root}/dev`, sys = `${root}/sys`;
  await Deno.mkdir(dev);
  await Deno.mkdir(sys);
  for (const device of devices) await Deno.writeFile(`${dev}/${device}`, new Uint8Array());
  for (const [device, name] of Object.entries(names)) {
    await Deno.mkdir(`${sys}/${device}`);
    await Deno.writeTextFile(`${sys}/${device}/name`, name);
  }
  return { dev, sys, [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }) };
}

Deno.test("listSources() says there is no camera and suggests --source test", async () => {
  await using roots = await fakeRoots(["null", "video", "videox", "vide0"], {});
  assertEquals(await findCameras(roots), []);
  const text = await listSources(roots);
  const lines = text.trimEnd().split("\n");
  assertEquals(lines[0], `No cameras found (no ${roots.dev}/video* devices)`);
  assert(lines[1]!.includes("--source test"), text);
  assert(/video file/.test(lines[1]!) && /URL/.test(lines[1]!), text);
  assert(text.endsWith("\n"), "ends its last line");
});

Deno.test("listSources() treats a missing device directory as no camera", async () => {
  await using roots = await fakeRoots([], {});
  const missing = { dev: `${roots.dev}/gone`, sys: roots.sys };
  assertEquals(await findCameras(missing), []);
  assert((await listSources(missing)).startsWith("No cameras found"));
});

Deno.test("listSources() lists devices by number with their driver names", async () => {
  await using roots = await fakeRoots(["video10", "video2", "null"], {
    video2: "Integrated Camera: Integrated C\n",
    video10: "USB  Cam\n",
  });
  assertEquals(await findCameras(roots), [
    { path: `${roots.dev}/video2`, index: 2, name: "Integrated Camera: Integrated C" },
    { path: `${roots.dev}/video10`, index: 10, name: "USB  Cam" },
  ]);
  assertEquals(
    await listSources(roots),
    `${roots.dev}/video2  Integrated Camera: Integrated C (use --source 2)\n` +
      `${roots.dev}/video10  USB  Cam (use --source 10)\n`,
  );
});

Deno.test("listSources() lists a device that has no name file", async () => {
  await using roots = await fakeRoots(["video0", "video1"], { video1: "Webcam\n" });
  assertEquals(
    await listSources(roots),
    `${roots.dev}/video0  (use --source 0)\n${roots.dev}/video1  Webcam (use --source 1)\n`,
  );
});

Deno.test("listSources() keeps a device's escape sequences off the terminal", async () => {
  await using roots = await fakeRoots(["video0"], { video0: "Evil\u001b[2J\u0007Cam\n" });
  const text = await listSources(roots);
  assertEquals(text, `${roots.dev}/video0  Evil [2J Cam (use --source 0)\n`);
});

Deno.test("listSources() reports a device directory it cannot read in one line", async () => {
  await using roots = await fakeRoots(["video0"], {});
  const file = `${roots.dev}/video0`;
  await assertRejects(
    () => listSources({ dev: file, sys: roots.sys }),
    CallError,
    `Cannot list cameras in "${file}": not a directory`,
  );
});
