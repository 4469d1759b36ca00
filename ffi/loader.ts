/**
 * Finds and loads the native shim, `libpeercam.so`.
 *
 * The search order is short and fixed:
 * 1. the path in `PEERCAM_SHIM`, if set (and then only that path);
 * 2. the local build, `shim/build/libpeercam.so`;
 * 3. the copy `deno compile` embedded in the binary, written to a cache
 *    directory first because the dynamic loader needs a real file.
 *
 * @module
 */

import { ABI_VERSION, type Shim, symbols } from "./symbols.ts";

/** The shim's file name. */
export const SHIM_FILE = "libpeercam.so";

/** The local build's location, next to the shim sources. */
export const LOCAL_SHIM_URL = new URL(`../shim/build/${SHIM_FILE}`, import.meta.url);

/** Raised when the shim cannot be found or loaded; lists every path tried. */
export class ShimLoadError extends Error {
  /**
   * @param message One line saying what failed and how to fix it.
   * @param options The original error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
  override name = "ShimLoadError";
}

// OpenCV logs its own warnings when a backend cannot open a source;
// peercam reports those failures itself, in one line. Read once when the
// libraries load, so set before dlopen (a user's own setting wins).
const OPENCV_DEFAULTS: Record<string, string> = { OPENCV_LOG_LEVEL: "SILENT" };

let loaded: Shim | undefined;

/**
 * Loads the shim once and returns its symbols.
 *
 * @returns The shim's symbols.
 * @throws {ShimLoadError} When no candidate loads or the ABI version differs.
 */
export function loadShim(): Shim {
  if (loaded) return loaded;
  for (const [key, value] of Object.entries(OPENCV_DEFAULTS)) {
    if (Deno.env.get(key) === undefined) Deno.env.set(key, value);
  }
  const tried: string[] = [];
  let lastError: unknown;
  const override = Deno.env.get("PEERCAM_SHIM");
  const candidates: Array<() => string | undefined> = override
    ? [() => override]
    : [() => fileOf(LOCAL_SHIM_URL), extractEmbedded];
  for (const candidate of candidates) {
    let path: string | undefined;
    try {
      path = candidate();
      if (path === undefined) continue;
      const lib = dlopen(path, candidate === extractEmbedded);
      const abi = lib.symbols.pc_abi_version();
      if (abi !== ABI_VERSION) {
        lib.close();
        throw new Error(`ABI version ${abi}, expected ${ABI_VERSION}; rebuild it`);
      }
      loaded = lib.symbols;
      return loaded;
    } catch (error) {
      lastError = error;
      tried.push(`${path ?? "embedded copy"} (${reason(error)})`);
    }
  }
  throw new ShimLoadError(
    `Cannot load the native shim: tried ${tried.join(", ")}; ${advice(lastError)}`,
    { cause: lastError },
  );
}

function dlopen(path: string, temporary: boolean): Deno.DynamicLibrary<typeof symbols> {
  try {
    return Deno.dlopen(path, symbols);
  } finally {
    if (temporary) Deno.removeSync(path);
  }
}

function fileOf(url: URL): string | undefined {
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : undefined;
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "not found";
  const raw = error instanceof Error ? error.message : String(error);
  const text = (raw.split("\n")[0] ?? raw).replace(/^(Could not open library: )+/, "");
  const missing = /^([^:]+): cannot open shared object file/.exec(text);
  if (missing) {
    return missing[1]!.includes("/") ? "not found" : `needs ${missing[1]}, which is missing`;
  }
  return text;
}

function advice(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/libopencv/.test(text)) {
    return "the OpenCV 4 runtime libraries are missing: " +
      "install them with `sudo apt-get install libopencv-videoio406 libopencv-highgui406`";
  }
  return "build it with `deno task build:shim` " +
    "(needs OpenCV: `sudo apt-get install libopencv-dev`), or set PEERCAM_SHIM to its path";
}

// `deno compile --include shim/build/libpeercam.so` embeds the library in a
// virtual file system that dlopen cannot see. Copy it to a private temporary
// file; the caller removes the file once loaded (the mapping stays valid).
function extractEmbedded(): string | undefined {
  const source = fileOf(LOCAL_SHIM_URL);
  if (source === undefined) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(source);
  } catch {
    return undefined;
  }
  const path = Deno.makeTempFileSync({ prefix: "peercam-", suffix: ".so" });
  Deno.writeFileSync(path, bytes, { mode: 0o700 });
  return path;
}
