/**
 * Builds the benchmarks' native helpers (`bench/*.cpp`) against the shim,
 * into `bench/out/`, when their sources are newer than the binaries.
 *
 * @module
 */

const here = new URL(".", import.meta.url).pathname;
const root = new URL("..", import.meta.url).pathname;

/** The output directory for generated inputs and helpers. */
export const OUT = `${here}out`;

/**
 * Compiles `bench/NAME.cpp` (linked with libpeercam, libpeercam_capture and
 * OpenCV) if needed.
 *
 * @param name The helper's name, e.g. `native_loop`.
 * @returns The path of the executable.
 */
export async function buildNative(name: string): Promise<string> {
  const source = `${here}${name}.cpp`;
  const binary = `${OUT}/${name}`;
  const shim = `${root}shim/build/libpeercam.so`;
  const mtime = (p: string) => {
    try {
      return Deno.statSync(p).mtime?.getTime() ?? 0;
    } catch {
      return 0;
    }
  };
  if (mtime(binary) > Math.max(mtime(source), mtime(shim), mtime(`${root}shim/peercam.h`))) {
    return binary;
  }
  Deno.mkdirSync(OUT, { recursive: true });
  const flags = await new Deno.Command("pkg-config", { args: ["--cflags", "opencv4"] }).output();
  const out = await new Deno.Command("g++", {
    args: [
      "-O2",
      "-std=c++17",
      source,
      "-o",
      binary,
      ...new TextDecoder().decode(flags.stdout).trim().split(/\s+/),
      `-L${root}shim/build`,
      "-lpeercam",
      "-lpeercam_capture",
      "-lpeercam_window",
      `-Wl,-rpath,${root}shim/build`,
      "-lopencv_core",
      "-lopencv_imgcodecs",
      "-lopencv_videoio",
      "-lturbojpeg",
    ],
  }).output();
  if (!out.success) {
    throw new Error(`Cannot build ${name}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return binary;
}

/**
 * Runs a command and parses the JSON object it prints.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @returns The parsed output.
 */
export async function runJson<T>(cmd: string, args: string[]): Promise<T> {
  const out = await new Deno.Command(cmd, { args, stderr: "piped", stdout: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}
