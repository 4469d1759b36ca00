/**
 * shim/record.cpp under AddressSanitizer, LeakSanitizer and UBSan: a native
 * program (tests/native/record_cycles.cpp) built with it runs
 * open/write/finish/free cycles, recordings never finished (as when
 * killed), hostile arguments and files that cannot be created or written
 * (`/dev/full`); any invalid access, leak or undefined behaviour fails the
 * test, and so does a file the cycles wrote that ffprobe cannot read.
 */

import { assert, assertEquals } from "./_assert.ts";
import { probe } from "./_mkv.ts";
import { ROOT, run } from "./_tools.ts";

Deno.test("the recording shim has no invalid access, leak or undefined behaviour (ASan, LSan, UBSan)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cflags = (await run("pkg-config", ["--cflags", "opencv4", "libavformat"])).trim()
      .split(/\s+/);
    const binary = `${dir}/record_cycles`;
    await run("g++", [
      "-std=c++17",
      "-g",
      "-O1",
      "-fsanitize=address,undefined",
      "-fno-sanitize-recover=undefined",
      "-fno-omit-frame-pointer",
      ...cflags,
      `${ROOT}tests/native/record_cycles.cpp`,
      `${ROOT}shim/record.cpp`,
      "-o",
      binary,
      "-lopencv_core",
      "-lavformat",
      "-lavcodec",
      "-lavutil",
    ]);
    const jpeg = `${dir}/frame.jpg`;
    await run("ffmpeg", [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=320x240",
      "-frames:v",
      "1",
      jpeg,
    ]);
    const out = await new Deno.Command(binary, {
      args: [jpeg, dir],
      env: { ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS: "print_stacktrace=1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert(!/Sanitizer|runtime error/.test(text), text);
    assertEquals(out.code, 0, text);
    assert(text.includes("record_cycles: ok"), text);
    // Finished or not, every file reads: 31 frames and a garbage packet.
    for (const cycle of [0, 1]) {
      const info = await probe(`${dir}/c${cycle}.mkv`);
      assertEquals(info.streams.map((s) => s.packets), [16, 16], `cycle ${cycle}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
