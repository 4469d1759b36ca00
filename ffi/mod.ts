/**
 * The native layer: OpenCV capture, JPEG codec and windows through the
 * `libpeercam` shim.
 *
 * @module
 */

export {
  Capture,
  type CaptureOptions,
  type ReadJpegResult,
  type ReadResult,
  SourceKind,
  type SourceKindName,
} from "./capture.ts";
export { type EncodeResult, JpegDecoder, JpegEncoder } from "./codec.ts";
export { ShimError } from "./error.ts";
export { Frame } from "./frame.ts";
export { loadShim, ShimLoadError } from "./loader.ts";
export { Window } from "./window.ts";
