/**
 * shim/record.cpp under AddressSanitizer, LeakSanitizer and UBSan: a native
 * program (tests/native/record_cycles.cpp) built with it runs
 * open/write/finish/free cycles, recordings never finished (as when
 * killed), hostile arguments and files that cannot be created or written
 * (`/dev/full`); any invalid access, leak or undefined behaviour fails the
 * test, and so does a file the cycles wrote that ffprobe cannot read.
 */

import { runSanitized } from "./_asan.ts";
import { assertEquals } from "./_assert.ts";
import { probe } from "./_mkv.ts";
import { run } from "./_tools.ts";

Deno.test("the recording shim has no invalid access, leak or undefined behaviour (ASan, LSan, UBSan)", async () => {
  const dir = await Deno.makeTempDir();
  try {
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
    await runSanitized(dir, {
      name: "record_cycles",
      shim: ["record"],
      packages: ["opencv4", "libavformat"],
      libs: ["-lopencv_core", "-lavformat", "-lavcodec", "-lavutil"],
      args: [jpeg, dir],
    });
    // Finished or not, every file reads: 31 frames and a garbage packet.
    for (const cycle of [0, 1]) {
      const info = await probe(`${dir}/c${cycle}.mkv`);
      assertEquals(info.streams.map((s) => s.packets), [16, 16], `cycle ${cycle}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
