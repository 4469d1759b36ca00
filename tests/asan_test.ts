/**
 * The shim under AddressSanitizer, LeakSanitizer and UBSan: a native program
 * (tests/native/shim_cycles.cpp) built with the shim's sources (all but the
 * window, which needs a display) runs open/read/encode/re-encode/decode/
 * draw/close cycles with good and hostile input, with and without the AVX2
 * requantizer; any invalid access, leak or undefined behaviour fails the
 * test.
 */

import { runSanitized } from "./_asan.ts";
import { makeClip } from "./_tools.ts";

Deno.test("the shim has no invalid access, leak or undefined behaviour (ASan, LSan, UBSan)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clip = `${dir}/clip.avi`;
    await makeClip(clip, 320, 240, 20);
    // Once as built, once without the AVX2 requantizer, so both paths run.
    for (const defines of [[], ["-DPC_NO_AVX2"]]) {
      await runSanitized(dir, {
        name: "shim_cycles",
        shim: ["capture", "codec", "draw", "frame", "transcode"],
        packages: ["opencv4", "libturbojpeg", "libjpeg"],
        libs: [
          "-lopencv_core",
          "-lopencv_imgproc",
          "-lopencv_videoio",
          "-lturbojpeg",
          "-ljpeg",
        ],
        defines,
        args: [clip],
        env: { OPENCV_LOG_LEVEL: "SILENT" },
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
