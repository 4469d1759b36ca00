// JPEG encode and decode with libjpeg-turbo's TurboJPEG API, straight
// between BGR frames and caller buffers (about twice as fast as OpenCV's
// imdecode here, see docs/PERFORMANCE.md). Handles and buffers are reused.
#include <new>

#include <turbojpeg.h>

#include "common.hpp"
#include "transcode.hpp"

struct pc_encoder : pc_object {
  tjhandle tj = nullptr;
  unsigned char *buf = nullptr;  // tjAlloc'd, sized for the largest frame yet
  unsigned long size = 0;
  pc_transcoder *transcoder = nullptr;  // for pc_encode_jpeg, made on first use
  ~pc_encoder() {
    if (buf != nullptr) tjFree(buf);
    if (tj != nullptr) tjDestroy(tj);
    pc_transcoder_free(transcoder);
  }
};

namespace {

// Makes room in the encoder's own output buffer for a w x h image.
bool reserve_output(pc_encoder *enc, int w, int h, int subsamp) {
  const unsigned long bound = tjBufSize(w, h, subsamp);
  if (enc->size >= bound) return true;
  if (enc->buf != nullptr) tjFree(enc->buf);
  enc->buf = tjAlloc(static_cast<int>(bound));
  enc->size = enc->buf == nullptr ? 0 : bound;
  if (enc->buf == nullptr) enc->error = "out of memory";
  return enc->buf != nullptr;
}

// Copies the encoder's output to the caller's buffer.
int deliver(pc_encoder *enc, unsigned long size, uint8_t *out, uint32_t cap,
            uint32_t *len) {
  *len = static_cast<uint32_t>(size);
  if (size > cap) {
    enc->error = "output buffer too small";
    return PC_ERR_SPACE;
  }
  std::memcpy(out, enc->buf, size);
  return PC_OK;
}

}  // namespace

struct pc_decoder : pc_object {
  tjhandle tj = nullptr;
  ~pc_decoder() {
    if (tj != nullptr) tjDestroy(tj);
  }
};

namespace {

// Whether libjpeg-turbo can decode at 1/denominator of the size.
bool supported_scale(int denominator) {
  if (denominator != 1 && denominator != 2 && denominator != 4 && denominator != 8) {
    return false;
  }
  int count = 0;
  const tjscalingfactor *factors = tjGetScalingFactors(&count);
  for (int i = 0; factors != nullptr && i < count; i++) {
    if (factors[i].num == 1 && factors[i].denom == denominator) return true;
  }
  return false;
}

}  // namespace

extern "C" {

pc_encoder *pc_encoder_new(void) {
  auto *enc = new (std::nothrow) pc_encoder();
  if (enc != nullptr && (enc->tj = tjInitCompress()) == nullptr) {
    delete enc;
    return nullptr;
  }
  return enc;
}

void pc_encoder_free(pc_encoder *enc) { delete enc; }

int pc_encode(pc_encoder *enc, const pc_frame *frame, int quality, uint8_t *out,
              uint32_t cap, uint32_t *len) {
  if (enc == nullptr) return PC_ERR_ARG;
  if (frame == nullptr || out == nullptr || len == nullptr || quality < 1 ||
      quality > 100) {
    enc->error = "invalid argument";
    return PC_ERR_ARG;
  }
  const cv::Mat &m = frame->mat;
  if (m.empty() || m.type() != CV_8UC3) {
    enc->error = "frame is empty";
    return PC_ERR_ARG;
  }
  return pc_guard(enc, [&]() {
    // Compress into our own buffer, grown once to the worst case for this
    // size, so the library never reallocates in the frame loop.
    if (!reserve_output(enc, m.cols, m.rows, TJSAMP_420)) return PC_ERR;
    unsigned long size = enc->size;
    if (tjCompress2(enc->tj, m.data, m.cols, static_cast<int>(m.step), m.rows,
                    TJPF_BGR, &enc->buf, &size, TJSAMP_420, quality,
                    TJFLAG_NOREALLOC) != 0) {
      enc->error = tjGetErrorStr2(enc->tj);
      return PC_ERR;
    }
    return deliver(enc, size, out, cap, len);
  });
}

int pc_encode_jpeg(pc_encoder *enc, const uint8_t *jpeg, uint32_t jpeg_len,
                   int quality, uint8_t *out, uint32_t cap, uint32_t *len) {
  if (enc == nullptr) return PC_ERR_ARG;
  if (jpeg == nullptr || jpeg_len == 0 || out == nullptr || len == nullptr ||
      quality < 1 || quality > 100) {
    enc->error = "invalid argument";
    return PC_ERR_ARG;
  }
  if (enc->transcoder == nullptr && (enc->transcoder = pc_transcoder_new()) == nullptr) {
    enc->error = "out of memory";
    return PC_ERR;
  }
  return pc_transcode(enc->transcoder, jpeg, jpeg_len, quality, out, cap, len, enc->error);
}

const char *pc_encoder_error(const pc_encoder *enc) { return pc_error_of(enc); }

pc_decoder *pc_decoder_new(void) {
  auto *dec = new (std::nothrow) pc_decoder();
  if (dec != nullptr && (dec->tj = tjInitDecompress()) == nullptr) {
    delete dec;
    return nullptr;
  }
  return dec;
}

void pc_decoder_free(pc_decoder *dec) { delete dec; }

int pc_decode(pc_decoder *dec, const uint8_t *data, uint32_t len,
              pc_frame *out) {
  return pc_decode_scaled(dec, data, len, 1, out);
}

int pc_decode_scaled(pc_decoder *dec, const uint8_t *data, uint32_t len,
                     int denominator, pc_frame *out) {
  if (dec == nullptr) return PC_ERR_ARG;
  if (dec->tj == nullptr && (dec->tj = tjInitDecompress()) == nullptr) {
    dec->error = "cannot create a JPEG decoder";
    return PC_ERR;
  }
  if (data == nullptr || len == 0 || out == nullptr) {
    dec->error = "invalid argument";
    return PC_ERR_ARG;
  }
  if (!supported_scale(denominator)) {
    dec->error = "invalid argument: scale denominator " + std::to_string(denominator) +
                 " is not 1, 2, 4 or 8";
    return PC_ERR_ARG;
  }
  const int code = pc_guard(dec, [&]() {
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(dec->tj, data, len, &w, &h, &subsamp, &colorspace) !=
        0) {
      dec->error = std::string("not a decodable JPEG image: ") +
                   tjGetErrorStr2(dec->tj);
      return PC_ERR;
    }
    // The header's size is checked before any pixel buffer is allocated.
    if (w <= 0 || h <= 0 || w > PC_MAX_EDGE || h > PC_MAX_EDGE ||
        static_cast<long>(w) * h > PC_MAX_PIXELS) {
      dec->error = "image of " + std::to_string(w) + "x" + std::to_string(h) +
                   " exceeds the size limit";
      return PC_ERR;
    }
    // Asked for the scaled size, libjpeg-turbo scales in its inverse DCT.
    const tjscalingfactor factor = {1, denominator};
    const int sw = TJSCALED(w, factor), sh = TJSCALED(h, factor);
    out->mat.create(sh, sw, CV_8UC3);
    // Warnings (corrupt or truncated data) are errors: a damaged frame is
    // never shown.
    if (tjDecompress2(dec->tj, data, len, out->mat.data, sw,
                      static_cast<int>(out->mat.step), sh, TJPF_BGR,
                      TJFLAG_STOPONWARNING | TJFLAG_FASTUPSAMPLE | TJFLAG_FASTDCT) != 0) {
      dec->error = std::string("not a decodable JPEG image: ") +
                   tjGetErrorStr2(dec->tj);
      return PC_ERR;
    }
    return PC_OK;
  });
  if (code != PC_OK) {
    // libjpeg-turbo 2.1 can leave a handle unusable after an aborted
    // decompression; start the next frame with a fresh one.
    tjDestroy(dec->tj);
    dec->tj = tjInitDecompress();
    if (dec->tj == nullptr) dec->error += " (and the decoder could not be reset)";
  }
  return code;
}

const char *pc_decoder_error(const pc_decoder *dec) { return pc_error_of(dec); }

}  // extern "C"
