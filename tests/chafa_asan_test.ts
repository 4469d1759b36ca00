/**
 * shim/chafa.cpp under AddressSanitizer, LeakSanitizer and UBSan: a native
 * program (tests/native/chafa_cycles.cpp) built with it runs detection,
 * every drawing mode at several sizes, the too-small-buffer path, hostile
 * arguments and create/free cycles; any invalid access, leak or undefined
 * behaviour fails the test.
 */

import { runSanitized } from "./_asan.ts";

Deno.test("the chafa shim has no invalid access, leak or undefined behaviour (ASan, LSan, UBSan)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await runSanitized(dir, {
      name: "chafa_cycles",
      shim: ["chafa"],
      packages: ["opencv4", "chafa"],
      libs: ["-lopencv_core", "-lchafa", "-lglib-2.0"],
      // Plain malloc for glib, so LeakSanitizer sees what it allocates.
      env: { G_SLICE: "always-malloc", G_DEBUG: "gc-friendly" },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
