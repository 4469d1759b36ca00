/**
 * `deno task build:shim`: builds the three libraries, skips an up-to-date build, rebuilds after a
 * source changes, and reports a failed build (on a copy of shim/).
 */

import { assert, assertEquals, assertMatch } from "./_assert.ts";
import { ROOT } from "./_tools.ts";

async function build(
  dir: string,
  env?: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-run", "--allow-env", `${dir}/build.ts`],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("shim/build.ts builds once, rebuilds on change, and reports a failed build", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const entry of Deno.readDirSync(`${ROOT}shim`)) {
      if (entry.isFile) await Deno.copyFile(`${ROOT}shim/${entry.name}`, `${dir}/${entry.name}`);
    }
    const first = await build(dir);
    assertEquals(first.code, 0, first.stderr);
    assertMatch(
      first.stderr,
      /built .*libpeercam\.so, .*libpeercam_capture\.so, .*libpeercam_window\.so/,
    );
    const second = await build(dir);
    assertEquals(second.code, 0);
    assertMatch(second.stderr, /is up to date/);

    await new Promise((r) => setTimeout(r, 20)); // a newer mtime than the library
    await Deno.writeTextFile(`${dir}/frame.cpp`, "\n// touched\n", { append: true });
    // This time pkg-config knows only the required libraries: an optional
    // one (recording, with FFmpeg's libavformat) is skipped, the rest build.
    const pc = `${dir}/pkgconfig`;
    await Deno.mkdir(pc);
    for (const module of ["opencv4", "libturbojpeg", "libjpeg"]) {
      const from = (await new Deno.Command("pkg-config", {
        args: ["--variable", "pcfiledir", module],
      }).output()).stdout;
      await Deno.copyFile(
        `${new TextDecoder().decode(from).trim()}/${module}.pc`,
        `${pc}/${module}.pc`,
      );
    }
    const third = await build(dir, { PKG_CONFIG_LIBDIR: pc });
    assertEquals(third.code, 0, third.stderr);
    assertMatch(
      third.stderr,
      /skipping libpeercam_record\.so: libavformat, libavcodec, libavutil development files not found \(install them with `sudo apt-get install libavformat-dev`\)/,
    );
    assertMatch(
      third.stderr,
      /skipping libpeercam_chafa\.so: chafa development files not found \(install them with `sudo apt-get install libchafa-dev libglib2\.0-dev`\)/,
    );
    assertMatch(
      third.stderr,
      /built .*libpeercam\.so, .*libpeercam_capture\.so, .*libpeercam_window\.so\n/,
    );

    await Deno.writeTextFile(`${dir}/frame.cpp`, "\nthis is not C++;\n", { append: true });
    const broken = await build(dir);
    assertEquals(broken.code, 1);
    assertMatch(broken.stderr, /build:shim: compiling libpeercam\.so failed:/);
    assertMatch(broken.stderr, /frame\.cpp/);
    let left = true;
    try {
      Deno.statSync(`${dir}/build/libpeercam.so`);
    } catch {
      left = false;
    }
    assert(!left, "a failed build leaves no stale library behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
