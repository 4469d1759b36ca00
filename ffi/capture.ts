/**
 * {@linkcode Capture}: a video source opened through OpenCV, or the shim's
 * synthetic test pattern. Every call blocks the calling thread: peercam
 * makes them in its capture worker (`src/send/capture_worker.ts`).
 *
 * @module
 */

import { bufferMessage, check, cString, readCString, ShimError } from "./error.ts";
import type { Frame } from "./frame.ts";
import { loadCaptureShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";
import { Status } from "./symbols.ts";
import { asciiCString } from "./text.ts";

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

/** The longest test pattern label kept, in characters (`PC_LABEL_MAX`). */
export const LABEL_MAX = 64;

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
  /**
   * Text the `test` source draws large in every frame, such as the
   * sender's name: printable ASCII, `?` for any other character, at most
   * {@linkcode LABEL_MAX} characters. Other sources ignore it.
   */
  label?: string;
}

/**
 * Scales `src` into `dst` at `width` x `height`: area averaging when
 * shrinking (each pixel the mean of the ones it covers), bilinear when
 * enlarging. `dst`'s pixel buffer is reused when its size is unchanged, so a
 * frame loop that scales to a steady size allocates nothing. Blocks the
 * calling thread; lives in `libpeercam_capture` (loaded on first use), next
 * to the capture whose frames it scales.
 *
 * @example
 * ```ts
 * capture.readSync(full); // 640x480
 * resizeFrame(full, small, 320, 240);
 * ```
 *
 * @param src The frame to scale (not empty).
 * @param dst The frame to overwrite (not `src`).
 * @param width Width in pixels, 1 to 8192.
 * @param height Height in pixels, 1 to 8192 (and at most 8192 x 4320 pixels in all).
 * @throws {ShimError} With `code` `Status.ERR_ARG` when `src` is empty or is
 * `dst`, or the size is not a whole number in range; `Status.ERR` when out of memory.
 */
export function resizeFrame(src: Frame, dst: Frame, width: number, height: number): void {
  const what = "Cannot resize frame";
  if (!Number.isInteger(width) || !Number.isInteger(height)) {
    throw new ShimError(`${what}: invalid size ${width}x${height}`, Status.ERR_ARG);
  }
  const code = loadCaptureShim().pc_frame_resize(src.handle, dst.handle, width, height);
  check(code, what, () => {
    if (code !== Status.ERR_ARG) return "out of memory";
    if (Deno.UnsafePointer.equals(src.handle, dst.handle)) return "the source is the destination";
    if (src.width === 0) return "the source frame is empty";
    return `invalid size ${width}x${height}`;
  });
}

/** The outcome of {@linkcode Capture.readSync}: a frame, or the end of the source. */
export type ReadResult = "frame" | "end";

/** The outcome of {@linkcode Capture.readJpegSync}. */
export type ReadJpegResult =
  | { kind: "frame"; length: number }
  | { kind: "end" }
  | { kind: "space"; needed: number };

/** An open capture source. One call at a time. */
export class Capture extends NativeObject {
  #len = new Uint32Array(1);

  private constructor(ptr: Deno.PointerValue) {
    super(ptr, loadCaptureShim().pc_capture_close, "capture");
  }

  /**
   * Opens a source, blocking the calling thread (a camera or a URL can take
   * a while: open it in a worker).
   *
   * @example
   * ```ts
   * using capture = Capture.open({ kind: "test", spec: "", width: 640, height: 480, fps: 0 });
   * ```
   *
   * @param options What to open and at what size.
   * @returns The open capture.
   * @throws {ShimError} When no backend can open the source.
   */
  static open(options: CaptureOptions): Capture {
    const shim = loadCaptureShim();
    const err = new Uint8Array(512);
    const ptr = shim.pc_capture_open(
      SourceKind[options.kind],
      cString(options.spec),
      options.width,
      options.height,
      options.fps,
      err,
      err.length,
    );
    if (ptr === null) throw new ShimError(bufferMessage(err));
    const capture = new Capture(ptr);
    if (options.label) {
      try {
        capture.#check(
          shim.pc_capture_set_label(ptr, asciiCString(options.label, { max: LABEL_MAX })),
          "Cannot set the label",
          ptr,
        );
      } catch (error) {
        capture.close();
        throw error;
      }
    }
    return capture;
  }

  /**
   * Reads the next frame into `frame`, scaled to the size asked for,
   * blocking the calling thread.
   *
   * @param frame The frame to overwrite.
   * @returns `"frame"`, or `"end"` when the source has no more frames.
   * @throws {ShimError} When the source fails.
   */
  readSync(frame: Frame): ReadResult {
    return this.exclusiveSync((ptr) => {
      const code = loadCaptureShim().pc_capture_read(ptr, frame.handle);
      if (code === Status.END) return "end";
      this.#check(code, "Cannot read frame", ptr);
      return "frame";
    });
  }

  /**
   * The source's own frame size, before any scaling (0 when unknown).
   *
   * @returns `[width, height]`.
   * @throws {ShimError} When the source cannot say.
   */
  sourceSize(): [number, number] {
    const wh = new Int32Array(2);
    const ptr = this.handle;
    this.#check(loadCaptureShim().pc_capture_source_size(ptr, wh), "Cannot read source size", ptr);
    return [wh[0]!, wh[1]!];
  }

  /**
   * Switches a file or URL whose frames are stored as JPEG to passthrough:
   * {@linkcode readJpegSync} then returns each frame's JPEG bytes as stored,
   * with no decode and re-encode.
   *
   * @returns Whether the source switched (false: it is not MJPEG).
   * @throws {ShimError} When the source fails.
   */
  enablePassthrough(): boolean {
    const ptr = this.handle;
    const code = loadCaptureShim().pc_capture_passthrough(ptr);
    this.#check(code < 0 ? code : Status.OK, "Cannot switch to passthrough", ptr);
    return code === 1;
  }

  /**
   * Reads the next frame's JPEG bytes into `out` (passthrough mode),
   * blocking the calling thread.
   *
   * @param out Where the bytes go.
   * @returns The length, the end of the source, or the size needed when
   * `out` is too small (the next call returns that frame again).
   * @throws {ShimError} When the source fails.
   */
  readJpegSync(out: Uint8Array<ArrayBuffer>): ReadJpegResult {
    return this.exclusiveSync((ptr) => {
      const code = loadCaptureShim().pc_capture_read_jpeg(ptr, out, out.length, this.#len);
      const len = this.#len[0]!;
      if (code === Status.END) return { kind: "end" };
      if (code === Status.ERR_SPACE) return { kind: "space", needed: len };
      this.#check(code, "Cannot read frame", ptr);
      return { kind: "frame", length: len };
    });
  }

  /**
   * Seeks a file source back to its start (used to loop a video file),
   * blocking the calling thread.
   *
   * @throws {ShimError} When the source cannot seek.
   */
  rewindSync(): void {
    this.exclusiveSync((ptr) => {
      this.#check(loadCaptureShim().pc_capture_rewind(ptr), "Cannot rewind source", ptr);
    });
  }

  #check(code: number, what: string, ptr: Deno.PointerObject): void {
    check(code, what, () => readCString(loadCaptureShim().pc_capture_error(ptr)));
  }
}
