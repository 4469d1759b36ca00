/**
 * {@linkcode Capture}: a video source opened through OpenCV, or the shim's
 * synthetic test pattern.
 *
 * @module
 */

import { bufferMessage, cString, readCString, ShimError } from "./error.ts";
import type { Frame } from "./frame.ts";
import { loadCaptureShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import { Status } from "./symbols.ts";

/** Source kinds, as `PC_SOURCE_*` in `shim/peercam.h`. */
export const SourceKind = {
  camera: 0,
  device: 1,
  file: 2,
  url: 3,
  gstreamer: 4,
  test: 5,
} as const;

/** A source kind name. */
export type SourceKindName = keyof typeof SourceKind;

/** What {@linkcode Capture.open} opens. */
export interface CaptureOptions {
  /** The kind of source. */
  kind: SourceKindName;
  /** Camera index, path, URL or pipeline; ignored for `test`. */
  spec: string;
  /** Output width; frames of another size are scaled (0 keeps the source's). */
  width: number;
  /** Output height (0 keeps the source's). */
  height: number;
  /** Frame rate to ask a live source for (0 for its default). */
  fps: number;
}

/** The outcome of {@linkcode Capture.read}: a frame, or the end of the source. */
export type ReadResult = "frame" | "end";

/** The outcome of {@linkcode Capture.readJpeg}. */
export type ReadJpegResult =
  | { kind: "frame"; length: number }
  | { kind: "end" }
  | { kind: "space"; needed: number };

/** An open capture source. One `read()` at a time. */
export class Capture extends NativeObject {
  #len = new Uint32Array(1);

  private constructor(ptr: Deno.PointerValue) {
    super(ptr, loadCaptureShim().pc_capture_close, "capture");
  }

  /**
   * Opens a source without blocking the event loop.
   *
   * @param options What to open and at what size.
   * @returns The open capture.
   * @throws {ShimError} When no backend can open the source.
   */
  static async open(options: CaptureOptions): Promise<Capture> {
    const shim = loadCaptureShim();
    const err = new Uint8Array(512);
    const spec = cString(options.spec);
    const ptr = await shim.pc_capture_open(
      SourceKind[options.kind],
      spec,
      options.width,
      options.height,
      options.fps,
      err,
      err.length,
    );
    if (ptr === null) throw new ShimError(bufferMessage(err));
    return new Capture(ptr);
  }

  /**
   * Reads the next frame into `frame`, scaled to the size asked for.
   *
   * @param frame The frame to overwrite.
   * @returns `"frame"`, or `"end"` when the source has no more frames.
   * @throws {ShimError} When the source fails.
   */
  read(frame: Frame): Promise<ReadResult> {
    return this.exclusive(async (ptr) =>
      this.#readResult(await loadCaptureShim().pc_capture_read(ptr, frame.handle), ptr)
    );
  }

  /**
   * {@linkcode read}, blocking the calling thread: for a worker that owns
   * this capture.
   *
   * @param frame The frame to overwrite.
   * @returns `"frame"`, or `"end"` when the source has no more frames.
   * @throws {ShimError} When the source fails.
   */
  readSync(frame: Frame): ReadResult {
    return this.exclusiveSync((ptr) =>
      this.#readResult(loadCaptureShim().pc_capture_read_sync(ptr, frame.handle), ptr)
    );
  }

  /**
   * The source's own frame size, before any scaling (0 when unknown).
   *
   * @returns `[width, height]`.
   */
  sourceSize(): [number, number] {
    const wh = new Int32Array(2);
    const code = loadCaptureShim().pc_capture_source_size(this.handle, wh);
    if (code !== Status.OK) throw this.#error("Cannot read source size", code, this.handle);
    return [wh[0]!, wh[1]!];
  }

  /**
   * Switches a file or URL whose frames are stored as JPEG to passthrough:
   * {@linkcode readJpeg} then returns each frame's JPEG bytes as stored, with
   * no decode and re-encode.
   *
   * @returns Whether the source switched (false: it is not MJPEG).
   */
  enablePassthrough(): boolean {
    const code = loadCaptureShim().pc_capture_passthrough(this.handle);
    if (code < 0) throw this.#error("Cannot switch to passthrough", code, this.handle);
    return code === 1;
  }

  /**
   * Reads the next frame's JPEG bytes into `out` (passthrough mode).
   *
   * @param out Where the bytes go.
   * @returns The length, the end of the source, or the size needed when
   * `out` is too small (the next call returns that frame again).
   * @throws {ShimError} When the source fails.
   */
  readJpeg(out: Uint8Array<ArrayBuffer>): Promise<ReadJpegResult> {
    return this.exclusive(async (ptr) =>
      this.#jpegResult(
        await loadCaptureShim().pc_capture_read_jpeg(ptr, out, out.length, this.#len),
        ptr,
      )
    );
  }

  /**
   * {@linkcode readJpeg}, blocking the calling thread: for a worker that
   * owns this capture.
   *
   * @param out Where the bytes go.
   * @returns The length, the end of the source, or the size needed when
   * `out` is too small (the next call returns that frame again).
   * @throws {ShimError} When the source fails.
   */
  readJpegSync(out: Uint8Array<ArrayBuffer>): ReadJpegResult {
    return this.exclusiveSync((ptr) =>
      this.#jpegResult(
        loadCaptureShim().pc_capture_read_jpeg_sync(ptr, out, out.length, this.#len),
        ptr,
      )
    );
  }

  /**
   * Seeks a file source back to its start (used to loop a video file).
   *
   * @throws {ShimError} When the source cannot seek.
   */
  rewind(): Promise<void> {
    return this.exclusive(async (ptr) => {
      const code = await loadCaptureShim().pc_capture_rewind(ptr);
      if (code !== Status.OK) throw this.#error("Cannot rewind source", code, ptr);
    });
  }

  /**
   * {@linkcode rewind}, blocking the calling thread: for a worker that owns
   * this capture.
   *
   * @throws {ShimError} When the source cannot seek.
   */
  rewindSync(): void {
    this.exclusiveSync((ptr) => {
      const code = loadCaptureShim().pc_capture_rewind_sync(ptr);
      if (code !== Status.OK) throw this.#error("Cannot rewind source", code, ptr);
    });
  }

  #readResult(code: number, ptr: Deno.PointerObject): ReadResult {
    if (code === Status.END) return "end";
    if (code !== Status.OK) throw this.#error("Cannot read frame", code, ptr);
    return "frame";
  }

  #jpegResult(code: number, ptr: Deno.PointerObject): ReadJpegResult {
    const len = this.#len[0]!;
    if (code === Status.END) return { kind: "end" };
    if (code === Status.ERR_SPACE) return { kind: "space", needed: len };
    if (code !== Status.OK) throw this.#error("Cannot read frame", code, ptr);
    return { kind: "frame", length: len };
  }

  #error(what: string, code: number, ptr: Deno.PointerObject): ShimError {
    return new ShimError(`${what}: ${readCString(loadCaptureShim().pc_capture_error(ptr))}`, code);
  }
}
