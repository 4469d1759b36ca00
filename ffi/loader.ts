/**
 * Finds and loads the native shim's libraries, each when first needed:
 * `libpeercam.so` (frames, JPEG codec), `libpeercam_capture.so` (sources,
 * with OpenCV's video I/O) and `libpeercam_window.so` (the window, with
 * OpenCV's highgui), `libpeercam_record.so` (recording, with FFmpeg's
 * libavformat). A peer that only receives never loads video I/O.
 *
 * The search order is short and fixed:
 * 1. with `PEERCAM_SHIM` set to the path of `libpeercam.so`, only there (the
 *    other two are taken from the same directory);
 * 2. the local build, `shim/build/`;
 * 3. the copies `deno compile` embedded in the binary, written to a private
 *    temporary file first because the dynamic loader needs a real file.
 *
 * @module
 */

import {
  ABI_VERSION,
  type CaptureShim,
  captureSymbols,
  type ChafaShim,
  chafaSymbols,
  type RecordShim,
  recordSymbols,
  type Shim,
  symbols,
  type WindowShim,
  windowSymbols,
} from "./symbols.ts";

/** The main shim library's file name. */
export const SHIM_FILE = "libpeercam.so";

/** The local build's location, next to the shim sources. */
export const LOCAL_SHIM_URL = new URL(`../shim/build/${SHIM_FILE}`, import.meta.url);

/** Raised when the shim cannot be found or loaded; lists every path tried. */
export class ShimLoadError extends Error {
  /**
   * Creates the error.
   *
   * @param message One line saying what failed and how to fix it.
   * @param options The original error as `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
  /** The class name, `ShimLoadError`. */
  override name = "ShimLoadError";
}

// OpenCV logs its own warnings when a backend cannot open a source;
// peercam reports those failures itself, in one line. Read once when the
// libraries load, so set before dlopen (a user's own setting wins).
const OPENCV_DEFAULTS: Record<string, string> = { OPENCV_LOG_LEVEL: "SILENT" };

let loaded: Shim | undefined;
let loadedCapture: CaptureShim | undefined;
let loadedWindow: WindowShim | undefined;
let loadedRecord: RecordShim | undefined;
let loadedChafa: ChafaShim | undefined;

/**
 * Loads `libpeercam.so` once and returns its symbols.
 *
 * @returns The symbols of frames and the JPEG codec.
 * @throws {ShimLoadError} When no candidate loads or the ABI version differs.
 */
export function loadShim(): Shim {
  return loaded ??= load(SHIM_FILE, symbols, "pc_abi_version");
}

/**
 * Loads `libpeercam_capture.so` once and returns its symbols.
 *
 * @returns The capture symbols.
 * @throws {ShimLoadError} As {@linkcode loadShim}.
 */
export function loadCaptureShim(): CaptureShim {
  return loadedCapture ??= load(
    "libpeercam_capture.so",
    captureSymbols,
    "pc_capture_abi_version",
  );
}

/**
 * Loads `libpeercam_window.so` once and returns its symbols.
 *
 * @returns The window symbols.
 * @throws {ShimLoadError} As {@linkcode loadShim}.
 */
export function loadWindowShim(): WindowShim {
  return loadedWindow ??= load("libpeercam_window.so", windowSymbols, "pc_window_abi_version");
}

/**
 * Loads `libpeercam_record.so` (Matroska recording, with FFmpeg's
 * libavformat) once and returns its symbols.
 *
 * @returns The recording symbols.
 * @throws {ShimLoadError} As {@linkcode loadShim}.
 */
export function loadRecordShim(): RecordShim {
  return loadedRecord ??= load("libpeercam_record.so", recordSymbols, "pc_record_abi_version");
}

/**
 * Loads `libpeercam_chafa.so` (pictures as terminal output, with libchafa)
 * once and returns its symbols.
 *
 * @returns The terminal drawing symbols.
 * @throws {ShimLoadError} As {@linkcode loadShim}.
 */
export function loadChafaShim(): ChafaShim {
  return loadedChafa ??= load("libpeercam_chafa.so", chafaSymbols, "pc_chafa_abi_version");
}

function load<S extends Deno.ForeignLibraryInterface>(
  file: string,
  table: S,
  abiSymbol: keyof S & string,
): Deno.DynamicLibrary<S>["symbols"] {
  for (const [key, value] of Object.entries(OPENCV_DEFAULTS)) {
    if (Deno.env.get(key) === undefined) Deno.env.set(key, value);
  }
  const tried: string[] = [];
  let lastError: unknown;
  const override = Deno.env.get("PEERCAM_SHIM");
  const local = new URL(file, LOCAL_SHIM_URL);
  const embedded = () => extractEmbedded(local);
  const candidates: Array<() => string | undefined> = override
    ? [() => file === SHIM_FILE ? override : override.replace(/[^/]*$/, file)]
    : [() => fileOf(local), embedded];
  for (const candidate of candidates) {
    let path: string | undefined;
    try {
      path = candidate();
      if (path === undefined) continue;
      const lib = dlopen(path, table, candidate === embedded);
      const abi = (lib.symbols[abiSymbol] as () => number)();
      if (abi !== ABI_VERSION) {
        lib.close();
        throw new Error(`ABI version ${abi}, expected ${ABI_VERSION}; rebuild it`);
      }
      return lib.symbols;
    } catch (error) {
      lastError = error;
      tried.push(`${path ?? `embedded ${file}`} (${reason(error)})`);
    }
  }
  throw new ShimLoadError(
    `Cannot load the native shim: tried ${tried.join(", ")}; ${advice(lastError)}`,
    { cause: lastError },
  );
}

function dlopen<S extends Deno.ForeignLibraryInterface>(
  path: string,
  table: S,
  temporary: boolean,
): Deno.DynamicLibrary<S> {
  try {
    return Deno.dlopen(path, table);
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
  if (/libchafa|libpeercam_chafa/.test(text)) {
    return "the terminal view needs libchafa: install it with " +
      "`sudo apt-get install libchafa-dev libglib2.0-dev`, then run `deno task build:shim`";
  }
  return "build it with `deno task build:shim` " +
    "(needs OpenCV: `sudo apt-get install libopencv-dev`), or set PEERCAM_SHIM to its path";
}

// `deno compile --include shim/build/...` embeds the libraries in a virtual
// file system that dlopen cannot see. Copy one to a private temporary file;
// the caller removes the file once loaded (the mapping stays valid).
function extractEmbedded(url: URL): string | undefined {
  const source = fileOf(url);
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
