/**
 * Test helper: builds a native test program together with shim sources
 * under AddressSanitizer and UndefinedBehaviorSanitizer, runs it, and
 * checks that no sanitizer spoke and the program said it finished.
 *
 * @module
 */

import { assert, assertEquals } from "./_assert.ts";
import { ROOT, run } from "./_tools.ts";

/** What to build and how to run it. */
export interface SanitizedProgram {
  /** `tests/native/NAME.cpp`; the program prints `NAME: ok` when it is done. */
  name: string;
  /** Shim sources compiled in, e.g. `["codec", "frame"]` for shim/codec.cpp, shim/frame.cpp. */
  shim: string[];
  /** pkg-config packages for the compiler flags. */
  packages: string[];
  /** Libraries to link, e.g. `["-lopencv_core"]`. */
  libs: string[];
  /** Extra compiler flags (a `-D` to build another variant). */
  defines?: string[];
  /** The program's arguments. */
  args?: string[];
  /** More environment for the run. */
  env?: Record<string, string>;
}

/**
 * Builds `program` with the sanitizers into `dir`, runs it and asserts a
 * clean run (no sanitizer report, exit 0, its `NAME: ok` line).
 *
 * @param dir A scratch directory for the binary.
 * @param program What to build and run.
 * @returns Everything the program printed.
 */
export async function runSanitized(dir: string, program: SanitizedProgram): Promise<string> {
  const cflags = (await run("pkg-config", ["--cflags", ...program.packages])).trim().split(/\s+/);
  const binary = `${dir}/${program.name}`;
  await run("g++", [
    "-std=c++17",
    "-g",
    "-O1",
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
    ...(program.defines ?? []),
    ...cflags,
    `${ROOT}tests/native/${program.name}.cpp`,
    ...program.shim.map((f) => `${ROOT}shim/${f}.cpp`),
    "-o",
    binary,
    ...program.libs,
  ]);
  const out = await new Deno.Command(binary, {
    args: program.args ?? [],
    env: {
      ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0",
      UBSAN_OPTIONS: "print_stacktrace=1",
      ...program.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const what = `${program.name} ${(program.defines ?? []).join(" ")}`;
  assert(!/Sanitizer|runtime error/.test(text), `${what}\n${text}`);
  assertEquals(out.code, 0, `${what}\n${text}`);
  assert(text.includes(`${program.name}: ok`), `${what}\n${text}`);
  return text;
}
