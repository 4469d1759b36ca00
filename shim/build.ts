/**
 * Builds `shim/build/libpeercam.so` (`deno task build:shim`). Rebuilds only
 * when a source, this script or the compiler flags changed; a failed build
 * exits non-zero with the compiler's output.
 *
 * @module
 */

const here = new URL(".", import.meta.url).pathname;
const output = `${here}build/libpeercam.so`;
const stamp = `${here}build/.flags`;
const modules = ["core", "imgproc", "videoio", "highgui"];

function fail(message: string): never {
  console.error(`build:shim: ${message}`);
  Deno.exit(1);
}

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const { success, stdout, stderr } = await new Deno.Command(cmd, { args }).output();
    const text = new TextDecoder();
    return { ok: success, out: (text.decode(stdout) + text.decode(stderr)).trim() };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ok: false, out: `${cmd}: not found` };
    throw error;
  }
}

function mtime(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

const cflags = await run("pkg-config", ["--cflags", "opencv4", "libturbojpeg", "libjpeg"]);
if (!cflags.ok) {
  fail(
    "OpenCV 4 or libjpeg-turbo development files not found " +
      "(pkg-config opencv4 libturbojpeg libjpeg): install them with " +
      "`sudo apt-get install libopencv-dev libturbojpeg0-dev libjpeg62-turbo-dev pkg-config`",
  );
}
const cxx = Deno.env.get("CXX") ?? "g++";
const sources = [...Deno.readDirSync(here)]
  .filter((e) => e.isFile && e.name.endsWith(".cpp"))
  .map((e) => `${here}${e.name}`)
  .sort();
const inputs = [...Deno.readDirSync(here)]
  .filter((e) => e.isFile && /\.(cpp|hpp|h|ts)$/.test(e.name))
  .map((e) => `${here}${e.name}`);
const args = [
  "-std=c++17",
  "-O2",
  "-fPIC",
  "-shared",
  "-Wall",
  "-Wextra",
  "-Werror",
  ...cflags.out.split(/\s+/).filter(Boolean),
  ...(Deno.env.get("PEERCAM_SHIM_CFLAGS")?.split(/\s+/).filter(Boolean) ?? []),
  ...sources,
  "-o",
  output,
  "-Wl,--as-needed",
  ...modules.map((m) => `-lopencv_${m}`),
  "-lturbojpeg",
  "-ljpeg",
];
const flags = `${cxx} ${args.join(" ")}`;
let previous = "";
try {
  previous = Deno.readTextFileSync(stamp);
} catch {
  // First build.
}
const built = mtime(output);
if (built > 0 && previous === flags && inputs.every((f) => mtime(f) < built)) {
  console.error(`build:shim: ${output} is up to date`);
  Deno.exit(0);
}
Deno.mkdirSync(`${here}build`, { recursive: true });
const result = await run(cxx, args);
if (!result.ok) {
  try {
    Deno.removeSync(output);
  } catch {
    // Nothing to remove.
  }
  fail(`compiling the shim failed:\n${result.out}`);
}
if (result.out) console.error(result.out);
Deno.writeTextFileSync(stamp, flags);
console.error(`build:shim: built ${output}`);
