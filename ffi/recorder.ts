/**
 * {@linkcode MkvRecorder}: a Matroska file of `V_MJPEG` tracks written with
 * FFmpeg's libavformat through `libpeercam_record`. JPEG bytes are copied
 * into the file as they are, never re-encoded, and each one is flushed to
 * the file as it is written, so a killed process leaves a readable file.
 * Every call blocks the calling thread: peercam makes them in its recording
 * worker (`src/record/record_worker.ts`), which brings every frame to the
 * size its track's header declares: a frame written here at another size
 * is kept at its own, which decoders take badly (FFmpeg's, starting on a
 * half-height frame, takes it for an interlaced field).
 *
 * @module
 */

import { bufferMessage, check, cString, readCString, ShimError } from "./error.ts";
import { loadRecordShim } from "./loader.ts";
import { NativeObject } from "./native_object.ts";

/** The most tracks one file holds (`PC_RECORD_MAX_TRACKS`). */
export const MAX_TRACKS = 4;

/** What {@linkcode MkvRecorder.open} declares in the file's header. */
export interface MkvOptions {
  /** Each track's frame size when known (`[0, 0]` when not); one entry per track. */
  sizes: Array<[number, number]>;
}

/** An open recording. One call at a time. */
export class MkvRecorder extends NativeObject {
  private constructor(ptr: Deno.PointerValue) {
    super(ptr, loadRecordShim().pc_recorder_free, "recorder");
  }

  /**
   * Creates (or truncates) `path` and writes the header, blocking the calling thread.
   *
   * @example
   * ```ts
   * using rec = MkvRecorder.open("call.mkv", { sizes: [[640, 480]] });
   * rec.writeSync(0, jpeg, 0);
   * rec.finishSync();
   * ```
   *
   * @param path The file.
   * @param options One frame size per track.
   * @returns The open recording.
   * @throws {ShimError} When the file cannot be created or written.
   * @throws {ShimLoadError} When `libpeercam_record.so` cannot be loaded.
   */
  static open(path: string, options: MkvOptions): MkvRecorder {
    const shim = loadRecordShim();
    const sizes = new Int32Array(options.sizes.flat());
    const err = new Uint8Array(512);
    const ptr = shim.pc_recorder_open(cString(path), options.sizes.length, sizes, err, err.length);
    if (ptr === null) throw new ShimError(bufferMessage(err));
    return new MkvRecorder(ptr);
  }

  /**
   * Writes one JPEG to a track, stamped `ptsUs` microseconds from the
   * start (a stamp not after the track's previous one is moved just after it).
   *
   * @param track The track, from 0.
   * @param jpeg The bytes (shared memory will do); only read during the call.
   * @param ptsUs The frame's time, in microseconds, at least 0.
   * @throws {ShimError} When writing fails (a full disk, say); the file keeps what was written.
   */
  writeSync(track: number, jpeg: Uint8Array, ptsUs: number): void {
    this.exclusiveSync((ptr) => {
      const shim = loadRecordShim();
      const code = shim.pc_recorder_write(ptr, track, jpeg, jpeg.length, BigInt(Math.round(ptsUs)));
      check(code, "Cannot write the recording", () => readCString(shim.pc_recorder_error(ptr)));
    });
  }

  /**
   * Writes the index and closes the file; the handle still needs `close()`.
   *
   * @throws {ShimError} When the index cannot be written.
   */
  finishSync(): void {
    this.exclusiveSync((ptr) => {
      const shim = loadRecordShim();
      check(
        shim.pc_recorder_finish(ptr),
        "Cannot finish the recording",
        () => readCString(shim.pc_recorder_error(ptr)),
      );
    });
  }
}
