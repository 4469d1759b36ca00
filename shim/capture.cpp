// Capture: OpenCV's VideoCapture for cameras, files, URLs and GStreamer
// pipelines, plus a synthetic moving test pattern.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <new>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "common.hpp"

struct pc_capture : pc_object {
  int kind = PC_SOURCE_TEST;
  int width = 0;   // requested output size; 0 keeps the source's size
  int height = 0;
  cv::VideoCapture video;
  cv::Mat raw;         // source frame before scaling, reused
  cv::Mat background;  // test pattern backdrop, drawn once
  uint64_t count = 0;  // frames produced
  bool passthrough = false;  // frames are the stream's own JPEG packets
  // The last packet read in passthrough mode. A vector, not a Mat: packets
  // differ in size and a Mat would be reallocated for each one, while a
  // vector only resizes within its capacity.
  std::vector<uchar> packet;
  bool pending = false;  // packet did not fit the caller's buffer: hand it out next
  std::string label;     // drawn large by the test pattern; printable ASCII
  bool label_ready = false;  // label_area and the masks below are rendered
  cv::Rect label_area;       // where the label goes, and its coverage masks
  cv::Mat label_outline;
  cv::Mat label_fill;
};

namespace {

// Renders the label once, as coverage masks of its outline and its fill:
// centred below the frame counter and clock, its capitals a sixth of the
// frame's height, smaller when that would not fit the width.
void render_label(pc_capture *cap, int w, int h, double scale) {
  const std::string &label = cap->label;
  const int top = static_cast<int>(88 * scale);
  double size = std::max(0.3, h / 6.0 / 21.0);
  const auto stroke = [](double s) { return std::max(1, static_cast<int>(std::lround(s * 2.2))); };
  int thick = stroke(size);
  int base = 0;
  cv::Size box = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, size, thick, &base);
  const int room = std::max(1, w - 20);
  if (box.width > room) {
    size *= static_cast<double>(room) / box.width;
    thick = stroke(size);
    box = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, size, thick, &base);
  }
  const int outline = thick + 2 + thick / 2;
  const cv::Point origin((w - box.width) / 2, top + box.height);
  const cv::Rect area = cv::Rect(origin.x - outline, top - outline, box.width + 2 * outline,
                                 box.height + base + 2 * outline) &
                        cv::Rect(0, 0, w, h);
  cap->label_ready = true;
  cap->label_area = area;
  cap->label_outline = cv::Mat::zeros(area.size(), CV_8UC1);
  cap->label_fill = cv::Mat::zeros(area.size(), CV_8UC1);
  cv::putText(cap->label_outline, label, origin - area.tl(), cv::FONT_HERSHEY_SIMPLEX, size,
              cv::Scalar(255), outline, cv::LINE_AA);
  cv::putText(cap->label_fill, label, origin - area.tl(), cv::FONT_HERSHEY_SIMPLEX, size,
              cv::Scalar(255), thick, cv::LINE_AA);
}

// Draws the rendered label over the frame: white on a dark outline, so it
// reads over any part of the pattern. Blending the masks costs a fraction
// of drawing the text again for every frame.
void draw_label(const pc_capture *cap, cv::Mat &out) {
  const cv::Rect &area = cap->label_area;
  for (int y = 0; y < area.height; y++) {
    const uchar *outline = cap->label_outline.ptr<uchar>(y);
    const uchar *fill = cap->label_fill.ptr<uchar>(y);
    uchar *p = out.ptr<uchar>(area.y + y) + 3 * area.x;
    for (int x = 0; x < area.width; x++, p += 3) {
      const int a = outline[x], b = fill[x];
      if ((a | b) == 0) continue;
      for (int c = 0; c < 3; c++) {
        int v = (p[c] * (255 - a) + 20 * a + 127) / 255;
        v = (v * (255 - b) + 255 * b + 127) / 255;
        p[c] = static_cast<uchar>(v);
      }
    }
  }
}

void draw_test_frame(pc_capture *cap, cv::Mat &out) {
  const int w = cap->width, h = cap->height;
  if (cap->background.empty()) {
    cap->background.create(h, w, CV_8UC3);
    for (int y = 0; y < h; y++) {
      auto *row = cap->background.ptr<cv::Vec3b>(y);
      for (int x = 0; x < w; x++) {
        row[x] = cv::Vec3b(static_cast<uchar>(96 + 96 * x / w),
                           static_cast<uchar>(48 + 64 * y / h), 40);
      }
    }
  }
  cap->background.copyTo(out);
  const double t = static_cast<double>(cap->count);
  const int r = std::max(8, std::min(w, h) / 8);
  const cv::Point ball(
      static_cast<int>(r + (w - 2 * r) * (0.5 + 0.5 * std::sin(t / 23.0))),
      static_cast<int>(r + (h - 2 * r) * (0.5 + 0.5 * std::sin(t / 17.0))));
  cv::circle(out, ball, r, cv::Scalar(40, 200, 255), cv::FILLED, cv::LINE_AA);
  const int bx = static_cast<int>((cap->count * 4) % static_cast<uint64_t>(w + 2 * r)) - r;
  cv::rectangle(out, cv::Rect(bx, h - 2 * r, r, r), cv::Scalar(255, 120, 60),
                cv::FILLED);

  char text[96];
  const double scale = std::max(0.4, h / 480.0);
  const int thick = std::max(1, static_cast<int>(scale * 2));
  std::snprintf(text, sizeof text, "frame %llu",
                static_cast<unsigned long long>(cap->count));
  cv::putText(out, text, cv::Point(10, static_cast<int>(36 * scale)),
              cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255),
              thick, cv::LINE_AA);
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const long ms = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  std::snprintf(text, sizeof text, "%02d:%02d:%02d.%03ld", tm.tm_hour,
                tm.tm_min, tm.tm_sec, ms);
  cv::putText(out, text, cv::Point(10, static_cast<int>(72 * scale)),
              cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(255, 255, 255),
              thick, cv::LINE_AA);
  if (!cap->label.empty()) {
    if (!cap->label_ready) render_label(cap, w, h, scale);
    draw_label(cap, out);
  }
}

bool open_video(pc_capture *cap, int kind, const char *spec, double fps) {
  cv::VideoCapture &v = cap->video;
  switch (kind) {
    case PC_SOURCE_CAMERA:
      if (!v.open(std::atoi(spec), cv::CAP_ANY)) return false;
      break;
    case PC_SOURCE_DEVICE:
      if (!v.open(spec, cv::CAP_V4L2)) return false;
      break;
    case PC_SOURCE_GST:
      return v.open(spec, cv::CAP_GSTREAMER);
    default:  // files and URLs; not CAP_ANY, which would probe cameras too
      return v.open(spec, cv::CAP_FFMPEG) || v.open(spec, cv::CAP_GSTREAMER);
  }
  // Live devices: ask for the size and rate, and the smallest buffer so a
  // slow reader gets the newest frame rather than a queued one.
  v.set(cv::CAP_PROP_BUFFERSIZE, 1);
  if (cap->width > 0) v.set(cv::CAP_PROP_FRAME_WIDTH, cap->width);
  if (cap->height > 0) v.set(cv::CAP_PROP_FRAME_HEIGHT, cap->height);
  if (fps > 0) v.set(cv::CAP_PROP_FPS, fps);
  return true;
}

}  // namespace

extern "C" {

int pc_capture_abi_version(void) { return PC_ABI_VERSION; }

pc_capture *pc_capture_open(int kind, const char *spec, int width, int height,
                            double fps, char *err, uint32_t errlen) {
  if (kind < PC_SOURCE_CAMERA || kind > PC_SOURCE_TEST || width < 0 ||
      height < 0 || (kind == PC_SOURCE_TEST && (width == 0 || height == 0)) ||
      (kind != PC_SOURCE_TEST && (spec == nullptr || *spec == '\0'))) {
    pc_write_error(err, errlen, "invalid argument");
    return nullptr;
  }
  return pc_guard_new<pc_capture>(err, errlen, [&]() -> pc_capture * {
    auto *cap = new pc_capture();
    cap->kind = kind;
    cap->width = width;
    cap->height = height;
    if (kind != PC_SOURCE_TEST && !open_video(cap, kind, spec, fps)) {
      delete cap;
      pc_write_error(err, errlen, "no backend could open it");
      return nullptr;
    }
    return cap;
  });
}

void pc_capture_close(pc_capture *cap) {
  if (cap == nullptr) return;
  try {
    cap->video.release();
  } catch (...) {
  }
  delete cap;
}

int pc_capture_read(pc_capture *cap, pc_frame *out) {
  if (cap == nullptr || out == nullptr) return PC_ERR_ARG;
  return pc_guard(cap, [&]() {
    if (cap->kind == PC_SOURCE_TEST) {
      draw_test_frame(cap, out->mat);
      cap->count++;
      return PC_OK;
    }
    if (!cap->video.read(cap->raw) || cap->raw.empty()) return PC_END;
    if (cap->raw.type() != CV_8UC3) {
      cap->error = "source delivers frames that are not 8-bit BGR";
      return PC_ERR;
    }
    const bool scale = cap->width > 0 && cap->height > 0 &&
                       (cap->raw.cols != cap->width || cap->raw.rows != cap->height);
    if (scale) {
      cv::resize(cap->raw, out->mat, cv::Size(cap->width, cap->height), 0, 0,
                 cv::INTER_AREA);
    } else {
      cv::swap(cap->raw, out->mat);
    }
    cap->count++;
    return PC_OK;
  });
}

int pc_capture_source_size(pc_capture *cap, int32_t *wh) {
  if (cap == nullptr || wh == nullptr) return PC_ERR_ARG;
  return pc_guard(cap, [&]() {
    if (cap->kind == PC_SOURCE_TEST) {
      wh[0] = cap->width;
      wh[1] = cap->height;
    } else {
      wh[0] = static_cast<int32_t>(cap->video.get(cv::CAP_PROP_FRAME_WIDTH));
      wh[1] = static_cast<int32_t>(cap->video.get(cv::CAP_PROP_FRAME_HEIGHT));
    }
    return PC_OK;
  });
}

int pc_capture_passthrough(pc_capture *cap) {
  if (cap == nullptr) return PC_ERR_ARG;
  return pc_guard(cap, [&]() {
    if (cap->kind != PC_SOURCE_FILE && cap->kind != PC_SOURCE_URL) return 0;
    if (cap->video.getBackendName() != "FFMPEG") return 0;
    const int fourcc = static_cast<int>(cap->video.get(cv::CAP_PROP_FOURCC));
    if (fourcc != cv::VideoWriter::fourcc('M', 'J', 'P', 'G')) return 0;
    // -1 asks the FFmpeg backend for the undecoded packets.
    if (!cap->video.set(cv::CAP_PROP_FORMAT, -1)) return 0;
    cap->passthrough = true;
    return 1;
  });
}

int pc_capture_read_jpeg(pc_capture *cap, uint8_t *out, uint32_t cap_bytes,
                         uint32_t *len) {
  if (cap == nullptr || out == nullptr || len == nullptr) return PC_ERR_ARG;
  return pc_guard(cap, [&]() {
    if (!cap->passthrough) {
      cap->error = "the source is not in passthrough mode";
      return PC_ERR;
    }
    if (cap->packet.capacity() == 0) cap->packet.reserve(1 << 20);
    if (!cap->pending && (!cap->video.read(cap->packet) || cap->packet.empty())) {
      return PC_END;
    }
    const size_t size = cap->packet.size();
    *len = static_cast<uint32_t>(size);
    cap->pending = size > cap_bytes;
    if (cap->pending) {
      cap->error = "output buffer too small";
      return PC_ERR_SPACE;
    }
    std::memcpy(out, cap->packet.data(), size);
    cap->count++;
    return PC_OK;
  });
}

int pc_capture_rewind(pc_capture *cap) {
  if (cap == nullptr) return PC_ERR_ARG;
  return pc_guard(cap, [&]() {
    if (cap->kind == PC_SOURCE_TEST) return PC_OK;
    cap->pending = false;
    if (!cap->video.set(cv::CAP_PROP_POS_FRAMES, 0)) {
      cap->error = "the source cannot seek";
      return PC_ERR;
    }
    return PC_OK;
  });
}

int pc_capture_set_label(pc_capture *cap, const char *label) {
  if (cap == nullptr) return PC_ERR_ARG;
  return pc_guard(cap, [&]() {
    cap->label.assign(label == nullptr ? "" : label);
    cap->label_ready = false;  // rendered again for the next frame
    if (cap->label.size() > PC_LABEL_MAX) cap->label.resize(PC_LABEL_MAX);
    for (char &ch : cap->label) {
      if (ch < ' ' || ch > '~') ch = '?';
    }
    return PC_OK;
  });
}

const char *pc_capture_error(const pc_capture *cap) { return pc_error_of(cap); }

int pc_frame_resize(const pc_frame *src, pc_frame *dst, int width, int height) {
  if (src == nullptr || dst == nullptr || src == dst || src->mat.empty() ||
      src->mat.type() != CV_8UC3 || width < 1 || height < 1 ||
      width > PC_MAX_EDGE || height > PC_MAX_EDGE ||
      static_cast<long>(width) * height > PC_MAX_PIXELS) {
    return PC_ERR_ARG;
  }
  try {
    const cv::Mat &m = src->mat;
    const bool shrink = width <= m.cols && height <= m.rows;
    // create() inside resize keeps dst's buffer when the size is the same.
    cv::resize(m, dst->mat, cv::Size(width, height), 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    return PC_OK;
  } catch (...) {
    return PC_ERR;
  }
}

}  // extern "C"
