// Native half of bench/ffi_overhead.ts: times pc_encode and pc_decode on the
// shim's test pattern in a plain C++ loop, so the same calls made through
// Deno's FFI can be compared with them.
//
//   native_codec WIDTH HEIGHT QUALITY ITERATIONS
//
// Prints one JSON object with the mean microseconds per encode and decode.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../shim/peercam.h"

int main(int argc, char **argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s WIDTH HEIGHT QUALITY ITERATIONS\n", argv[0]);
    return 2;
  }
  const int w = std::atoi(argv[1]), h = std::atoi(argv[2]);
  const int quality = std::atoi(argv[3]), n = std::atoi(argv[4]);
  char err[256];
  pc_capture *cap = pc_capture_open(PC_SOURCE_TEST, "", w, h, 0, err, sizeof err);
  pc_frame *frame = pc_frame_new(), *decoded = pc_frame_new();
  pc_encoder *enc = pc_encoder_new();
  pc_decoder *dec = pc_decoder_new();
  if (cap == nullptr || pc_capture_read(cap, frame) != PC_OK) return 1;
  std::vector<uint8_t> buf(static_cast<size_t>(w) * h * 3);
  uint32_t len = 0;
  using Clock = std::chrono::steady_clock;
  // Warm up, as deno bench does.
  for (int i = 0; i < 20; i++) {
    pc_encode(enc, frame, quality, buf.data(), buf.size(), &len);
    pc_decode(dec, buf.data(), len, decoded);
  }
  auto t0 = Clock::now();
  for (int i = 0; i < n; i++) pc_encode(enc, frame, quality, buf.data(), buf.size(), &len);
  auto t1 = Clock::now();
  for (int i = 0; i < n; i++) pc_decode(dec, buf.data(), len, decoded);
  auto t2 = Clock::now();
  const auto us = [](auto a, auto b) {
    return std::chrono::duration<double, std::micro>(b - a).count();
  };
  std::printf("{\"width\":%d,\"height\":%d,\"encode_us\":%.1f,\"decode_us\":%.1f,\"bytes\":%u}\n",
              w, h, us(t0, t1) / n, us(t1, t2) / n, len);
  pc_decoder_free(dec);
  pc_encoder_free(enc);
  pc_frame_free(decoded);
  pc_frame_free(frame);
  pc_capture_close(cap);
  return 0;
}
