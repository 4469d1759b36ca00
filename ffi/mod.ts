/**
 * The native layer: OpenCV capture, JPEG codec, windows and drawing into
 * frames through the `libpeercam` shim.
 *
 * @module
 */

export {
  Capture,
  type CaptureOptions,
  LABEL_MAX,
  type ReadJpegResult,
  type ReadResult,
  resizeFrame,
  SourceKind,
  type SourceKindName,
} from "./capture.ts";
export {
  type EncodeResult,
  JpegDecoder,
  JpegEncoder,
  type ScaleDenominator,
  scaledSize,
} from "./codec.ts";
export {
  type Bgr,
  drawRect,
  drawText,
  fillFrame,
  measureText,
  type OverlayOptions,
  overlayScaled,
  type Rect,
  shadeRect,
  type TextOptions,
} from "./draw.ts";
export { ShimError } from "./error.ts";
export { Frame } from "./frame.ts";
export { NativeObject } from "./native_object.ts";
export { MAX_TRACKS, type MkvOptions, MkvRecorder } from "./recorder.ts";
export { ShimLoadError } from "./loader.ts";
export {
  type CanvasSetup,
  TerminalCanvas,
  type TerminalCapabilities,
  type TerminalColorsName,
  type TerminalGraphicsName,
  type TtySize,
  ttySize,
} from "./terminal_canvas.ts";
export { Window } from "./window.ts";
