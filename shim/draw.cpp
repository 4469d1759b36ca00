// Drawing into frames with OpenCV's imgproc: fills, shading, outlines, text
// and a scaled picture-in-picture, for the call window's overlays. Each call
// writes into the frame in place; nothing frame-sized is allocated per call
// once the canvas's scratch image has its size.
#include <algorithm>
#include <cmath>
#include <new>

#include <opencv2/imgproc.hpp>

#include "common.hpp"

struct pc_canvas : pc_object {
  cv::Mat scratch;   // an overlay reaching past the frame's edges, scaled whole
  std::string text;  // the text being drawn, printable ASCII only
};

namespace {

// Hershey simplex in font units (pixels at scale 1): capitals reach 21 above
// the baseline, descenders 7 below, brackets and '|' 25 above, so a line
// is 32 units from the top of a bracket to the bottom of a descender.
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr double kAscent = 25.0;
constexpr double kLine = 32.0;

int fail(pc_canvas *c, int code, const char *message) {
  c->error = message;
  return code;
}

cv::Scalar bgr(uint32_t rgb) {
  return cv::Scalar(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff);
}

bool drawable(const pc_frame *frame) {
  return frame != nullptr && !frame->mat.empty() && frame->mat.type() == CV_8UC3;
}

// The part of x, y, w, h inside m (empty when none is).
cv::Rect clip(const cv::Mat &m, int x, int y, int w, int h) {
  return cv::Rect(x, y, w, h) & cv::Rect(0, 0, m.cols, m.rows);
}

// Fills the band `thickness` pixels wide just inside r, clipped to m; all
// of r when the band would cover it.
void outline(cv::Mat &m, const cv::Rect &r, int thickness, const cv::Scalar &color) {
  const cv::Rect all(0, 0, m.cols, m.rows);
  if (thickness <= 0 || 2 * thickness >= r.width || 2 * thickness >= r.height) {
    const cv::Rect inside = r & all;
    if (!inside.empty()) m(inside).setTo(color);
    return;
  }
  const cv::Rect bands[] = {
      {r.x, r.y, r.width, thickness},
      {r.x, r.y + r.height - thickness, r.width, thickness},
      {r.x, r.y + thickness, thickness, r.height - 2 * thickness},
      {r.x + r.width - thickness, r.y + thickness, thickness, r.height - 2 * thickness},
  };
  for (const cv::Rect &band : bands) {
    const cv::Rect inside = band & all;
    if (!inside.empty()) m(inside).setTo(color);
  }
}

// Where a line of text goes, for a box whose top-left corner is (0, 0).
struct TextLayout {
  double scale;
  int x;         // the text's origin
  int baseline;
  int width;
};

// Checks the arguments and lays out c->text in a box line_height tall;
// PC_OK or an error code.
int layout(pc_canvas *c, int line_height, int thickness, TextLayout *out) {
  if (thickness < 1 || thickness > 255) {
    return fail(c, PC_ERR_ARG, "invalid argument: thickness must be from 1 to 255");
  }
  // How far ink reaches past the glyphs' outlines (half a stroke, the
  // anti-aliased fringe, rounding), measured over Hershey simplex at many
  // scales and thicknesses; one more pixel below for rounding the baseline.
  const double half = thickness / 2.0;
  const double above = half + 2.0, below = half + 3.1, left = half + 1.0, right = half + 3.0;
  out->scale = (line_height - above - below - 1.0) / kLine;
  if (line_height > PC_MAX_EDGE || out->scale < 0.15) {
    return fail(c, PC_ERR_ARG, "invalid argument: line height out of range for the thickness");
  }
  out->baseline = static_cast<int>(std::ceil(above + kAscent * out->scale));
  out->x = static_cast<int>(std::ceil(left));
  if (c->text.empty()) {
    out->width = 0;
  } else {
    int base = 0;
    const int advance = cv::getTextSize(c->text, kFont, out->scale, 0, &base).width;
    out->width = out->x + advance + static_cast<int>(std::ceil(right));
  }
  return PC_OK;
}

// Copies text into c->text, printable ASCII only.
void keep_text(pc_canvas *c, const char *text) {
  c->text.assign(text);
  for (char &ch : c->text) {
    if (ch < ' ' || ch > '~') ch = '?';
  }
}

}  // namespace

extern "C" {

pc_canvas *pc_canvas_new(void) { return new (std::nothrow) pc_canvas(); }

void pc_canvas_free(pc_canvas *canvas) { delete canvas; }

int pc_draw_fill(pc_canvas *c, pc_frame *frame, int width, int height, uint32_t rgb) {
  if (c == nullptr) return PC_ERR_ARG;
  if (frame == nullptr) return fail(c, PC_ERR_ARG, "invalid argument: no frame");
  if (width <= 0 || height <= 0 || width > PC_MAX_EDGE || height > PC_MAX_EDGE ||
      static_cast<long>(width) * height > PC_MAX_PIXELS) {
    c->error = "invalid size " + std::to_string(width) + "x" + std::to_string(height);
    return PC_ERR_ARG;
  }
  return pc_guard(c, [&]() {
    frame->mat.create(height, width, CV_8UC3);
    frame->mat.setTo(bgr(rgb));
    return PC_OK;
  });
}

int pc_draw_shade(pc_canvas *c, pc_frame *frame, int x, int y, int w, int h, uint32_t rgb,
                  double alpha) {
  if (c == nullptr) return PC_ERR_ARG;
  if (!drawable(frame)) return fail(c, PC_ERR_ARG, "frame is empty");
  if (w < 0 || h < 0) return fail(c, PC_ERR_ARG, "invalid rectangle: negative size");
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    return fail(c, PC_ERR_ARG, "invalid argument: alpha must be from 0 to 1");
  }
  return pc_guard(c, [&]() {
    const cv::Rect r = clip(frame->mat, x, y, w, h);
    if (r.empty()) return PC_OK;
    // Fixed point, 8 fractional bits: each byte is p*(256-a)/256 + c*a/256.
    const int a = static_cast<int>(std::lround(alpha * 256));
    const int keep = 256 - a;
    const int add[3] = {static_cast<int>(rgb & 0xff) * a + 128,
                        static_cast<int>((rgb >> 8) & 0xff) * a + 128,
                        static_cast<int>((rgb >> 16) & 0xff) * a + 128};
    for (int row = r.y; row < r.y + r.height; row++) {
      uchar *p = frame->mat.ptr<uchar>(row) + 3 * r.x;
      for (int i = 0; i < 3 * r.width; i += 3) {
        p[i] = static_cast<uchar>((p[i] * keep + add[0]) >> 8);
        p[i + 1] = static_cast<uchar>((p[i + 1] * keep + add[1]) >> 8);
        p[i + 2] = static_cast<uchar>((p[i + 2] * keep + add[2]) >> 8);
      }
    }
    return PC_OK;
  });
}

int pc_draw_rect(pc_canvas *c, pc_frame *frame, int x, int y, int w, int h, uint32_t rgb,
                 int thickness) {
  if (c == nullptr) return PC_ERR_ARG;
  if (!drawable(frame)) return fail(c, PC_ERR_ARG, "frame is empty");
  if (w < 0 || h < 0) return fail(c, PC_ERR_ARG, "invalid rectangle: negative size");
  return pc_guard(c, [&]() {
    if (w > 0 && h > 0) outline(frame->mat, cv::Rect(x, y, w, h), thickness, bgr(rgb));
    return PC_OK;
  });
}

int pc_text_size(pc_canvas *c, const char *text, int line_height, int thickness,
                 int32_t *wh) {
  if (c == nullptr) return PC_ERR_ARG;
  if (text == nullptr || wh == nullptr) return fail(c, PC_ERR_ARG, "invalid argument");
  return pc_guard(c, [&]() {
    keep_text(c, text);
    TextLayout l{};
    const int code = layout(c, line_height, thickness, &l);
    if (code != PC_OK) return code;
    wh[0] = l.width;
    wh[1] = line_height;
    return PC_OK;
  });
}

int pc_draw_text(pc_canvas *c, pc_frame *frame, const char *text, int x, int y,
                 int line_height, uint32_t rgb, int thickness, int32_t *wh) {
  if (c == nullptr) return PC_ERR_ARG;
  if (!drawable(frame)) return fail(c, PC_ERR_ARG, "frame is empty");
  if (text == nullptr || wh == nullptr) return fail(c, PC_ERR_ARG, "invalid argument");
  return pc_guard(c, [&]() {
    keep_text(c, text);
    TextLayout l{};
    const int code = layout(c, line_height, thickness, &l);
    if (code != PC_OK) return code;
    if (!c->text.empty()) {
      cv::putText(frame->mat, c->text, cv::Point(x + l.x, y + l.baseline), kFont, l.scale,
                  bgr(rgb), thickness, cv::LINE_AA);
    }
    wh[0] = l.width;
    wh[1] = line_height;
    return PC_OK;
  });
}

int pc_draw_overlay(pc_canvas *c, pc_frame *dst, const pc_frame *src, int x, int y, int w,
                    int h, int mirror, int border, uint32_t rgb) {
  if (c == nullptr) return PC_ERR_ARG;
  if (!drawable(dst) || !drawable(src)) return fail(c, PC_ERR_ARG, "frame is empty");
  if (src == dst) return fail(c, PC_ERR_ARG, "source and destination are the same frame");
  if (w < 0 || h < 0 || border < 0) {
    return fail(c, PC_ERR_ARG, "invalid rectangle: negative size or border");
  }
  return pc_guard(c, [&]() {
    const cv::Rect whole(x, y, w, h);
    const cv::Rect visible = clip(dst->mat, x, y, w, h);
    if (visible.empty()) return PC_OK;
    const cv::Mat &from = src->mat;
    const int interpolation =
        w <= from.cols && h <= from.rows ? cv::INTER_AREA : cv::INTER_LINEAR;
    if (visible == whole) {
      // Straight into the frame: the ROI has the size asked for, so resize
      // and flip write in place (flip swaps pixel pairs, safe in place).
      cv::Mat roi = dst->mat(whole);
      cv::resize(from, roi, whole.size(), 0, 0, interpolation);
      if (mirror) cv::flip(roi, roi, 1);
    } else {
      // Scaled whole into the canvas's scratch image (reallocated only when
      // the size changes), then the visible part copied.
      cv::resize(from, c->scratch, whole.size(), 0, 0, interpolation);
      if (mirror) cv::flip(c->scratch, c->scratch, 1);
      cv::Mat roi = dst->mat(visible);
      c->scratch(visible - whole.tl()).copyTo(roi);
    }
    if (border > 0) outline(dst->mat, whole, border, bgr(rgb));
    return PC_OK;
  });
}

const char *pc_canvas_error(const pc_canvas *c) { return pc_error_of(c); }

}  // extern "C"
