/**
 * shim/chafa.cpp under AddressSanitizer, LeakSanitizer and UBSan: a native
 * program (tests/native/chafa_cycles.cpp) built with it runs detection,
 * every drawing mode at several sizes, the too-small-buffer path, hostile
 * arguments and create/free cycles; any invalid access, leak or undefined
 * behaviour fails the test.
 */

import { assert, assertEquals } from "./_assert.ts";
import { ROOT, run } from "./_tools.ts";

Deno.test("the chafa shim has no invalid access, leak or undefined behaviour (ASan, LSan, UBSan)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cflags = (await run("pkg-config", ["--cflags", "opencv4", "chafa"])).trim().split(/\s+/);
    const binary = `${dir}/chafa_cycles`;
    await run("g++", [
      "-std=c++17",
      "-g",
      "-O1",
      "-fsanitize=address,undefined",
      "-fno-sanitize-recover=undefined",
      "-fno-omit-frame-pointer",
      ...cflags,
      `${ROOT}tests/native/chafa_cycles.cpp`,
      `${ROOT}shim/chafa.cpp`,
      "-o",
      binary,
      "-lopencv_core",
      "-lchafa",
      "-lglib-2.0",
    ]);
    const out = await new Deno.Command(binary, {
      env: {
        ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0",
        UBSAN_OPTIONS: "print_stacktrace=1",
        // Plain malloc for glib, so LeakSanitizer sees what it allocates.
        G_SLICE: "always-malloc",
        G_DEBUG: "gc-friendly",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert(!/Sanitizer|runtime error/.test(text), text);
    assertEquals(out.code, 0, text);
    assert(text.includes("chafa_cycles: ok"), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
