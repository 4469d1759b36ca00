// The native reference for bench/e2e.ts and bench/ffi_overhead.ts: the same
// work as one peercam direction (read a frame, JPEG-encode it, decode it),
// in one C++ loop with no network and no JavaScript.
//
//   native_loop opencv CLIP QUALITY FRAMES   OpenCV directly: read, imencode, imdecode
//   native_loop shim   CLIP QUALITY FRAMES   the same calls peercam makes, through libpeercam:
//                                            read (decode to BGR), encode, decode
//   native_loop transcode CLIP QUALITY FRAMES  libpeercam for an MJPEG source re-encoded at
//                                            QUALITY: read JPEG, requantize, decode
//   native_loop passthrough CLIP 0 FRAMES    libpeercam for an MJPEG source sent as stored:
//                                            read JPEG, decode
//   native_loop view CLIP 0 FRAMES           passthrough, then what the call window adds per
//                                            frame: the self-view (a 1/4 scaled decode of a
//                                            JPEG, mirrored into the corner with a border) and
//                                            the HUD (a text panel redrawn once a second,
//                                            copied in every frame)
//
// Prints one JSON object: frames, and mean milliseconds per stage.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "../shim/peercam.h"

using Clock = std::chrono::steady_clock;

static double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int main(int argc, char **argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s opencv|shim CLIP QUALITY FRAMES\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const char *clip = argv[2];
  const int quality = std::atoi(argv[3]);
  const int frames = std::atoi(argv[4]);
  double read_ms = 0, encode_ms = 0, decode_ms = 0;
  size_t bytes = 0;
  int done = 0;
  const auto start = Clock::now();
  if (mode == "opencv") {
    cv::VideoCapture cap(clip, cv::CAP_FFMPEG);
    if (!cap.isOpened()) return std::fprintf(stderr, "cannot open %s\n", clip), 1;
    cv::Mat frame, decoded;
    std::vector<uchar> buf;
    const std::vector<int> params{cv::IMWRITE_JPEG_QUALITY, quality};
    while (done < frames) {
      auto t0 = Clock::now();
      if (!cap.read(frame)) {
        cap.set(cv::CAP_PROP_POS_FRAMES, 0);
        continue;
      }
      auto t1 = Clock::now();
      cv::imencode(".jpg", frame, buf, params);
      auto t2 = Clock::now();
      cv::imdecode(buf, cv::IMREAD_COLOR, &decoded);
      auto t3 = Clock::now();
      read_ms += ms(t0, t1), encode_ms += ms(t1, t2), decode_ms += ms(t2, t3);
      bytes += buf.size();
      done++;
    }
  } else if (mode == "transcode" || mode == "passthrough" || mode == "view") {
    char err[256];
    pc_capture *cap = pc_capture_open(PC_SOURCE_FILE, clip, 0, 0, 0, err, sizeof err);
    if (cap == nullptr) return std::fprintf(stderr, "cannot open %s: %s\n", clip, err), 1;
    if (pc_capture_passthrough(cap) != 1) return std::fprintf(stderr, "not MJPEG\n"), 1;
    pc_frame *decoded = pc_frame_new();
    pc_encoder *enc = pc_encoder_new();
    pc_decoder *dec = pc_decoder_new();
    // The window's extras ("view"): its own decoder, thumbnail, HUD panel.
    pc_canvas *canvas = pc_canvas_new();
    pc_decoder *own = pc_decoder_new();
    pc_frame *thumb = pc_frame_new(), *panel = pc_frame_new();
    int32_t wh[2];
    std::vector<uint8_t> raw(16 << 20), buf(16 << 20);
    uint32_t raw_len = 0, len = 0;
    while (done < frames) {
      auto t0 = Clock::now();
      if (pc_capture_read_jpeg(cap, raw.data(), raw.size(), &raw_len) != PC_OK) {
        pc_capture_rewind(cap);
        continue;
      }
      auto t1 = Clock::now();
      const uint8_t *jpeg = raw.data();
      len = raw_len;
      if (mode == "transcode") {
        if (pc_encode_jpeg(enc, raw.data(), raw_len, quality, buf.data(), buf.size(), &len) !=
            PC_OK) {
          return std::fprintf(stderr, "%s\n", pc_encoder_error(enc)), 1;
        }
        jpeg = buf.data();
      }
      auto t2 = Clock::now();
      if (pc_decode(dec, jpeg, len, decoded) != PC_OK) return 1;
      if (mode == "view") {
        // As src/view: the self-view renewed every other frame (15 of 30 a
        // second), the HUD panel once a second, both drawn every frame.
        if (done % 2 == 0 && pc_decode_scaled(own, jpeg, len, 4, thumb) != PC_OK) return 1;
        if (done % 30 == 0) {
          char text[64];
          std::snprintf(text, sizeof text, "received %d fps | latency p95 %d ms", done, done);
          if (pc_draw_fill(canvas, panel, 300, 60, 0x141618) != PC_OK ||
              pc_draw_text(canvas, panel, text, 8, 8, 16, 0xf0f0f0, 1, wh) != PC_OK) {
            return std::fprintf(stderr, "%s\n", pc_canvas_error(canvas)), 1;
          }
        }
        if (pc_draw_overlay(canvas, decoded, thumb, 100, 100, 160, 120, 1, 2, 0xe6e6e6) != PC_OK ||
            pc_draw_overlay(canvas, decoded, panel, 10, 10, 300, 60, 0, 0, 0) != PC_OK) {
          return std::fprintf(stderr, "%s\n", pc_canvas_error(canvas)), 1;
        }
      }
      auto t3 = Clock::now();
      read_ms += ms(t0, t1), encode_ms += ms(t1, t2), decode_ms += ms(t2, t3);
      bytes += len;
      done++;
    }
    pc_frame_free(panel);
    pc_frame_free(thumb);
    pc_decoder_free(own);
    pc_canvas_free(canvas);
    pc_decoder_free(dec);
    pc_encoder_free(enc);
    pc_frame_free(decoded);
    pc_capture_close(cap);
  } else if (mode == "shim") {
    char err[256];
    pc_capture *cap = pc_capture_open(PC_SOURCE_FILE, clip, 0, 0, 0, err, sizeof err);
    if (cap == nullptr) return std::fprintf(stderr, "cannot open %s: %s\n", clip, err), 1;
    pc_frame *frame = pc_frame_new(), *decoded = pc_frame_new();
    pc_encoder *enc = pc_encoder_new();
    pc_decoder *dec = pc_decoder_new();
    std::vector<uint8_t> buf(16 << 20);
    uint32_t len = 0;
    while (done < frames) {
      auto t0 = Clock::now();
      if (pc_capture_read(cap, frame) != PC_OK) {
        pc_capture_rewind(cap);
        continue;
      }
      auto t1 = Clock::now();
      if (pc_encode(enc, frame, quality, buf.data(), buf.size(), &len) != PC_OK) return 1;
      auto t2 = Clock::now();
      if (pc_decode(dec, buf.data(), len, decoded) != PC_OK) return 1;
      auto t3 = Clock::now();
      read_ms += ms(t0, t1), encode_ms += ms(t1, t2), decode_ms += ms(t2, t3);
      bytes += len;
      done++;
    }
    pc_decoder_free(dec);
    pc_encoder_free(enc);
    pc_frame_free(decoded);
    pc_frame_free(frame);
    pc_capture_close(cap);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  const double total = ms(start, Clock::now());
  std::printf(
      "{\"mode\":\"%s\",\"frames\":%d,\"read_ms\":%.3f,\"encode_ms\":%.3f,"
      "\"decode_ms\":%.3f,\"total_ms_per_frame\":%.3f,\"fps\":%.1f,\"bytes_per_frame\":%zu}\n",
      mode.c_str(), done, read_ms / done, encode_ms / done, decode_ms / done, total / done,
      1000.0 * done / total, bytes / (done ? done : 1));
  return 0;
}
