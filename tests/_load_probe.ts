// For tests/loader_test.ts: does a receiver's work (encode and decode a
// frame), then opens a capture, and prints which shim and OpenCV libraries
// this process had mapped before, after the codec and after the capture.
import { Capture, Frame, JpegDecoder, JpegEncoder } from "../ffi/mod.ts";

const NAMES = [
  "libpeercam.so",
  "libpeercam_capture.so",
  "libpeercam_window.so",
  "libopencv_videoio",
  "libopencv_highgui",
];
const mapped = () => {
  const maps = Deno.readTextFileSync("/proc/self/maps");
  return NAMES.filter((name) => maps.includes(`/${name}`));
};

const stages: Record<string, string[]> = { start: mapped() };
const bgr = new Uint8Array(64 * 48 * 3).map((_, i) => i % 251);
using frame = Frame.fromBGR(bgr, 64, 48);
using encoder = new JpegEncoder();
using decoder = new JpegDecoder();
using decoded = new Frame();
const jpeg = new Uint8Array(1 << 16);
const result = encoder.encodeSync(frame, 80, jpeg);
if (!result.ok) throw new Error("the probe frame did not fit");
decoder.decodeSync(jpeg, decoded, result.length);
stages.codec = mapped();
const capture = await Capture.open({ kind: "test", spec: "", width: 64, height: 48, fps: 0 });
stages.capture = mapped();
capture.close();
console.log(JSON.stringify({ ...stages, decoded: [decoded.width, decoded.height] }));
