/**
 * Builds the shim's libraries in `shim/build/` (`deno task
 * build:shim`): `libpeercam.so` (frames and the JPEG codec: OpenCV's core,
 * libjpeg-turbo), `libpeercam_capture.so` (sources: OpenCV's video I/O) and
 * `libpeercam_window.so` (the window and drawing into frames: OpenCV's
 * highgui and imgproc). Split so that a process loads only what it uses:
 * video I/O alone pulls in some 240 shared libraries (FFmpeg, GStreamer),
 * 0.1 s of CPU and 70 MB of RSS to load, which a peer that only receives
 * never needs. `libpeercam_record.so` (recording: FFmpeg's libavformat) and
 * `libpeercam_chafa.so` (the terminal view: libchafa) are optional: without
 * their development files they are skipped with a message and the others
 * still build.
 *
 * Rebuilds only when a source, this script or the compiler flags changed; a
 * failed build exits non-zero with the compiler's output.
 *
 * @module
 */

const here = new URL(".", import.meta.url).pathname;
const stamp = `${here}build/.flags`;
/** Each library: its sources and the libraries it links. */
const LIBRARIES = [
  {
    file: "libpeercam.so",
    sources: ["frame.cpp", "codec.cpp", "transcode.cpp"],
    links: ["-lopencv_core", "-lturbojpeg", "-ljpeg"],
  },
  {
    file: "libpeercam_capture.so",
    sources: ["capture.cpp"],
    links: ["-lopencv_core", "-lopencv_imgproc", "-lopencv_videoio"],
  },
  {
    file: "libpeercam_window.so",
    sources: ["window.cpp", "draw.cpp"],
    links: ["-lopencv_core", "-lopencv_imgproc", "-lopencv_highgui"],
  },
  {
    // Optional: without FFmpeg's development files the others still build
    // and only --record is missing.
    file: "libpeercam_record.so",
    sources: ["record.cpp"],
    links: ["-lopencv_core", "-lavformat", "-lavcodec", "-lavutil"],
    pkg: { modules: ["libavformat", "libavcodec", "libavutil"], debian: "libavformat-dev" },
  },
  {
    // Optional as well: without libchafa only --view terminal is missing.
    file: "libpeercam_chafa.so",
    sources: ["chafa.cpp"],
    links: ["-lopencv_core", "-lchafa", "-lglib-2.0"],
    pkg: { modules: ["chafa"], debian: "libchafa-dev libglib2.0-dev" },
  },
];

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
// An optional library whose development files are missing is skipped, not fatal.
const extraCflags = new Map<string, string[]>();
for (const library of LIBRARIES) {
  if (!("pkg" in library) || !library.pkg) continue;
  const found = await run("pkg-config", ["--cflags", ...library.pkg.modules]);
  if (found.ok) extraCflags.set(library.file, found.out.split(/\s+/).filter(Boolean));
  else {
    console.error(
      `build:shim: skipping ${library.file}: ${library.pkg.modules.join(", ")} development ` +
        `files not found (install them with \`sudo apt-get install ${library.pkg.debian}\`)`,
    );
  }
}
const BUILT = LIBRARIES.filter((l) => !("pkg" in l) || extraCflags.has(l.file));
const cxx = Deno.env.get("CXX") ?? "g++";
const inputs = [...Deno.readDirSync(here)]
  .filter((e) => e.isFile && /\.(cpp|hpp|h|ts)$/.test(e.name))
  .map((e) => `${here}${e.name}`);
const cppFiles = [...Deno.readDirSync(here)].filter((e) => e.isFile && e.name.endsWith(".cpp"))
  .map((e) => e.name);
const unbuilt = cppFiles.filter((name) => !LIBRARIES.some((l) => l.sources.includes(name)));
if (unbuilt.length > 0) fail(`no library builds ${unbuilt.join(", ")}: add it in shim/build.ts`);
const commands = BUILT.map(({ file, sources, links }) => [
  "-std=c++17",
  "-O2",
  "-fPIC",
  "-shared",
  "-Wall",
  "-Wextra",
  "-Werror",
  ...cflags.out.split(/\s+/).filter(Boolean),
  ...(extraCflags.get(file) ?? []),
  ...(Deno.env.get("PEERCAM_SHIM_CFLAGS")?.split(/\s+/).filter(Boolean) ?? []),
  ...sources.map((name) => `${here}${name}`),
  "-o",
  `${here}build/${file}`,
  "-Wl,--as-needed",
  ...links,
]);
const flags = commands.map((args) => `${cxx} ${args.join(" ")}`).join("\n");
let previous = "";
try {
  previous = Deno.readTextFileSync(stamp);
} catch {
  // First build.
}
const outputs = BUILT.map((l) => `${here}build/${l.file}`);
const oldest = Math.min(...outputs.map(mtime));
if (oldest > 0 && previous === flags && inputs.every((f) => mtime(f) < oldest)) {
  console.error(`build:shim: ${here}build is up to date`);
  Deno.exit(0);
}
Deno.mkdirSync(`${here}build`, { recursive: true });
// The libraries compile side by side.
const results = await Promise.all(commands.map((args) => run(cxx, args)));
for (const [i, result] of results.entries()) {
  if (!result.ok) {
    for (const output of outputs) {
      try {
        Deno.removeSync(output);
      } catch {
        // Nothing to remove.
      }
    }
    fail(`compiling ${BUILT[i]!.file} failed:\n${result.out}`);
  }
  if (result.out) console.error(result.out);
}
Deno.writeTextFileSync(stamp, flags);
console.error(`build:shim: built ${outputs.join(", ")}`);
