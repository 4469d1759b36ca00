/**
 * The shim under AddressSanitizer, LeakSanitizer and UBSan: a native program
 * (tests/native/shim_cycles.cpp) built with the shim's sources (all but the
 * window, which needs a display) runs open/read/encode/re-encode/decode/
 * draw/close cycles with good and hostile input, with and without the AVX2
 * requantizer; any invalid access, leak or undefined behaviour fails the
 * test.
 */

import { assert, assertEquals } from "./_assert.ts";
import { makeClip, ROOT, run } from "./_tools.ts";

Deno.test("the shim has no invalid access, leak or undefined behaviour (ASan, LSan, UBSan)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 20);
    const cflags = (await run("pkg-config", ["--cflags", "opencv4", "libturbojpeg", "libjpeg"]))
      .trim().split(
        /\s+/,
      );
    // Once as built, once without the AVX2 requantizer, so both paths run.
    for (const variant of [[], ["-DPC_NO_AVX2"]]) {
      const binary = `${dir}/shim_cycles`;
      await run("g++", [
        "-std=c++17",
        "-g",
        "-O1",
        "-fsanitize=address,undefined",
        "-fno-sanitize-recover=undefined",
        "-fno-omit-frame-pointer",
        ...variant,
        ...cflags,
        `${ROOT}tests/native/shim_cycles.cpp`,
        ...["capture", "codec", "draw", "frame", "transcode"].map((f) => `${ROOT}shim/${f}.cpp`),
        "-o",
        binary,
        "-lopencv_core",
        "-lopencv_imgproc",
        "-lopencv_videoio",
        "-lturbojpeg",
        "-ljpeg",
      ]);
      const out = await new Deno.Command(binary, {
        args: [clip],
        env: {
          ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0",
          UBSAN_OPTIONS: "print_stacktrace=1",
          OPENCV_LOG_LEVEL: "SILENT",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert(!/Sanitizer|runtime error/.test(text), `${variant.join(" ")}\n${text}`);
      assertEquals(out.code, 0, text);
      assert(text.includes("shim_cycles: ok"), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
