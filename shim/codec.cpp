// JPEG encode and decode through OpenCV's imgcodecs, with reused buffers.
#include <new>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "common.hpp"

struct pc_encoder : pc_object {
  std::vector<uchar> buf;  // grows to the largest frame, then is reused
  std::vector<int> params{cv::IMWRITE_JPEG_QUALITY, 80};
};

struct pc_decoder : pc_object {};

extern "C" {

pc_encoder *pc_encoder_new(void) { return new (std::nothrow) pc_encoder(); }

void pc_encoder_free(pc_encoder *enc) { delete enc; }

int pc_encode(pc_encoder *enc, const pc_frame *frame, int quality, uint8_t *out,
              uint32_t cap, uint32_t *len) {
  if (enc == nullptr) return PC_ERR_ARG;
  if (frame == nullptr || out == nullptr || len == nullptr || quality < 1 ||
      quality > 100) {
    enc->error = "invalid argument";
    return PC_ERR_ARG;
  }
  if (frame->mat.empty()) {
    enc->error = "frame is empty";
    return PC_ERR_ARG;
  }
  return pc_guard(enc, [&]() {
    enc->params[1] = quality;
    if (!cv::imencode(".jpg", frame->mat, enc->buf, enc->params)) {
      enc->error = "JPEG encoder failed";
      return PC_ERR;
    }
    *len = static_cast<uint32_t>(enc->buf.size());
    if (enc->buf.size() > cap) {
      enc->error = "output buffer too small";
      return PC_ERR_SPACE;
    }
    std::memcpy(out, enc->buf.data(), enc->buf.size());
    return PC_OK;
  });
}

const char *pc_encoder_error(const pc_encoder *enc) { return pc_error_of(enc); }

pc_decoder *pc_decoder_new(void) { return new (std::nothrow) pc_decoder(); }

void pc_decoder_free(pc_decoder *dec) { delete dec; }

int pc_decode(pc_decoder *dec, const uint8_t *data, uint32_t len, pc_frame *out) {
  if (dec == nullptr) return PC_ERR_ARG;
  if (data == nullptr || len == 0 || out == nullptr) {
    dec->error = "invalid argument";
    return PC_ERR_ARG;
  }
  return pc_guard(dec, [&]() {
    // A Mat header over the caller's bytes: no copy of the input.
    const cv::Mat input(1, static_cast<int>(len), CV_8UC1,
                        const_cast<uint8_t *>(data));
    cv::imdecode(input, cv::IMREAD_COLOR, &out->mat);
    if (out->mat.empty()) {
      dec->error = "not a decodable JPEG image";
      return PC_ERR;
    }
    return PC_OK;
  });
}

const char *pc_decoder_error(const pc_decoder *dec) { return pc_error_of(dec); }

}  // extern "C"
