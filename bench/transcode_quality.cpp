// Native half of bench/transcode_quality.ts: for the first FRAMES frames of
// an MJPEG clip, re-encodes each at QUALITY two ways, and compares both with
// the source frame decoded exactly:
//   dct: libpeercam's pc_encode_jpeg (requantized coefficients);
//   yuv: TurboJPEG decode to YUV planes and compress them, with the fast
//        inverse DCT (peercam's previous re-encoder, and GStreamer's
//        jpegdec ! jpegenc with jpegdec's default idct-method=ifast);
//   exact: the same with the exact inverse DCT.
//
//   transcode_quality CLIP QUALITY FRAMES
//
// Prints one JSON object: mean PSNR (dB) and bytes per frame for each.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <turbojpeg.h>

#include "../shim/peercam.h"

static double psnr(const std::vector<unsigned char> &a, const std::vector<unsigned char> &b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); i++) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  const double mse = sum / static_cast<double>(a.size());
  return mse == 0 ? 99.0 : 10 * std::log10(255.0 * 255.0 / mse);  // 99: identical
}

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s CLIP QUALITY FRAMES\n", argv[0]);
    return 2;
  }
  const int quality = std::atoi(argv[2]), frames = std::atoi(argv[3]);
  char err[256];
  pc_capture *cap = pc_capture_open(PC_SOURCE_FILE, argv[1], 0, 0, 0, err, sizeof err);
  if (cap == nullptr || pc_capture_passthrough(cap) != 1) {
    std::fprintf(stderr, "cannot read %s as MJPEG\n", argv[1]);
    return 1;
  }
  pc_encoder *enc = pc_encoder_new();
  tjhandle dec = tjInitDecompress(), comp = tjInitCompress();
  std::vector<unsigned char> src(8 << 20), out(8 << 20);
  double psnr_dct = 0, psnr_yuv = 0, psnr_exact = 0, bytes_dct = 0, bytes_yuv = 0;
  int n = 0;
  for (; n < frames; n++) {
    uint32_t len = 0, out_len = 0;
    if (pc_capture_read_jpeg(cap, src.data(), src.size(), &len) != PC_OK) break;
    int w = 0, h = 0, sub = 0, cs = 0;
    if (tjDecompressHeader3(dec, src.data(), len, &w, &h, &sub, &cs) != 0) return 1;
    std::vector<unsigned char> ref(w * h * 3), got(w * h * 3), yuv(tjBufSizeYUV2(w, 1, h, sub));
    tjDecompress2(dec, src.data(), len, ref.data(), w, 0, h, TJPF_BGR, 0);
    if (pc_encode_jpeg(enc, src.data(), len, quality, out.data(), out.size(), &out_len) != PC_OK) {
      std::fprintf(stderr, "pc_encode_jpeg: %s\n", pc_encoder_error(enc));
      return 1;
    }
    tjDecompress2(dec, out.data(), out_len, got.data(), w, 0, h, TJPF_BGR, 0);
    psnr_dct += psnr(ref, got);
    bytes_dct += out_len;
    for (const int flags : {TJFLAG_FASTDCT, 0}) {
      unsigned char *yuv_out = nullptr;
      unsigned long yuv_len = 0;
      tjDecompressToYUV2(dec, src.data(), len, yuv.data(), w, 1, h, flags);
      tjCompressFromYUV(comp, yuv.data(), w, 1, h, sub, &yuv_out, &yuv_len, quality, 0);
      tjDecompress2(dec, yuv_out, yuv_len, got.data(), w, 0, h, TJPF_BGR, 0);
      tjFree(yuv_out);
      if (flags == 0) {
        psnr_exact += psnr(ref, got);
      } else {
        psnr_yuv += psnr(ref, got);
        bytes_yuv += static_cast<double>(yuv_len);
      }
    }
  }
  if (n == 0) return 1;
  std::printf(
      "{\"quality\":%d,\"frames\":%d,\"dct_psnr\":%.2f,\"dct_bytes\":%.0f,\"yuv_psnr\":%.2f,"
      "\"yuv_bytes\":%.0f,\"exact_psnr\":%.2f}\n",
      quality, n, psnr_dct / n, bytes_dct / n, psnr_yuv / n, bytes_yuv / n, psnr_exact / n);
  tjDestroy(dec);
  tjDestroy(comp);
  pc_encoder_free(enc);
  pc_capture_close(cap);
  return 0;
}
