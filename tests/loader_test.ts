/**
 * ffi/loader.ts: each of the shim's libraries loads when first used, so a
 * peer that only receives never maps OpenCV's video I/O or highgui; and a
 * library that cannot be found says what was tried.
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { ROOT } from "./_tools.ts";

async function probe(env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}tests/_load_probe.ts`],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, out: text.decode(out.stdout) + text.decode(out.stderr) };
}

Deno.test({
  name: "loader: the codec loads alone; capture loads video I/O only when a source opens",
  ignore: Deno.build.os !== "linux", // reads /proc/self/maps
  fn: async () => {
    const { code, out } = await probe();
    assertEquals(code, 0, out);
    const stages = JSON.parse(out);
    assertEquals(stages.start, []);
    assertEquals(stages.codec, ["libpeercam.so"]);
    assertEquals(stages.decoded, [64, 48]);
    assertEquals(stages.capture, [
      "libpeercam.so",
      "libpeercam_capture.so",
      "libopencv_videoio",
    ]);
  },
});

Deno.test("loader: PEERCAM_SHIM names libpeercam.so; the other libraries come from its directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Only the main library in that directory: the codec works, capture
    // fails naming the path it tried next to it.
    await Deno.copyFile(`${ROOT}shim/build/libpeercam.so`, `${dir}/libpeercam.so`);
    const { code, out } = await probe({ PEERCAM_SHIM: `${dir}/libpeercam.so` });
    assert(code !== 0, out);
    assertMatch(
      out,
      new RegExp(
        `Cannot load the native shim: tried ${dir}/libpeercam_capture\\.so \\(not found\\)`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
