/**
 * {@linkcode FrameSetting}: how the next captured frame is to be made — its
 * JPEG quality, its size and the capture rate. The rate controller
 * (`src/send/rate_controller.ts`) picks one per frame; the producer and the
 * capture worker follow it.
 *
 * @module
 */

/** How one frame is encoded, and how often frames are captured. */
export interface FrameSetting {
  /**
   * JPEG quality, 1 to 100. For a source stored as JPEG at the call's size
   * sent as stored (passthrough), a setting at full size and at or above
   * the ceiling (`--quality`) sends the stored bytes unchanged.
   */
  quality: number;
  /** Frame width in pixels (the call's `--size` or smaller). */
  width: number;
  /** Frame height in pixels. */
  height: number;
  /** Captures per second; 0 = as fast as the source delivers. */
  fps: number;
}

/** Quality recorded for a frame sent as stored (passthrough): not re-encoded. */
export const AS_STORED = 0;
