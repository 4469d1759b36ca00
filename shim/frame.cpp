// Frames: an 8-bit BGR cv::Mat behind an opaque handle.
#include <new>

#include "common.hpp"

extern "C" {

int pc_abi_version(void) { return PC_ABI_VERSION; }

pc_frame *pc_frame_new(void) { return new (std::nothrow) pc_frame(); }

void pc_frame_free(pc_frame *frame) { delete frame; }

int pc_frame_width(const pc_frame *frame) {
  return frame == nullptr ? 0 : frame->mat.cols;
}

int pc_frame_height(const pc_frame *frame) {
  return frame == nullptr ? 0 : frame->mat.rows;
}

int pc_frame_copy_bgr(const pc_frame *frame, uint8_t *out, uint32_t cap) {
  if (frame == nullptr || out == nullptr || frame->mat.empty()) return PC_ERR_ARG;
  const cv::Mat &m = frame->mat;
  const size_t row = static_cast<size_t>(m.cols) * 3;
  if (cap < row * static_cast<size_t>(m.rows)) return PC_ERR_SPACE;
  for (int y = 0; y < m.rows; y++) std::memcpy(out + row * y, m.ptr(y), row);
  return PC_OK;
}

int pc_frame_set_bgr(pc_frame *frame, const uint8_t *bgr, int width,
                     int height) {
  if (frame == nullptr || bgr == nullptr || width <= 0 || height <= 0) {
    return PC_ERR_ARG;
  }
  try {
    frame->mat.create(height, width, CV_8UC3);
    std::memcpy(frame->mat.data, bgr, static_cast<size_t>(width) * height * 3);
    return PC_OK;
  } catch (...) {
    return PC_ERR;
  }
}

}  // extern "C"
