// Native test of the shim under AddressSanitizer (tests/asan_test.ts):
// open, read, encode, re-encode, decode and close, many times over, with
// good and hostile inputs, so that ASan and LeakSanitizer see every path.
//
//   shim_cycles CLIP
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../shim/peercam.h"

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::exit(1);                                                   \
    }                                                                 \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const char *clip = argv[1];
  std::vector<uint8_t> buf(4 << 20), raw(4 << 20);
  uint32_t len = 0, raw_len = 0;
  char err[256];
  for (int cycle = 0; cycle < 20; cycle++) {
    pc_frame *frame = pc_frame_new(), *out = pc_frame_new();
    pc_encoder *enc = pc_encoder_new();
    pc_decoder *dec = pc_decoder_new();
    CHECK(frame && out && enc && dec);

    pc_capture *test = pc_capture_open(PC_SOURCE_TEST, "", 320 + cycle * 16, 240, 0, err, sizeof err);
    CHECK(test != nullptr);
    for (int i = 0; i < 5; i++) {
      CHECK(pc_capture_read(test, frame) == PC_OK);
      CHECK(pc_encode(enc, frame, 10 + cycle * 4, buf.data(), buf.size(), &len) == PC_OK);
      CHECK(pc_decode(dec, buf.data(), len, out) == PC_OK);
      CHECK(pc_frame_width(out) == 320 + cycle * 16);
    }
    CHECK(pc_encode(enc, frame, 80, buf.data(), 10, &len) == PC_ERR_SPACE);
    pc_capture_close(test);

    pc_capture *file = pc_capture_open(PC_SOURCE_FILE, clip, 0, 0, 0, err, sizeof err);
    CHECK(file != nullptr);
    if (cycle % 2 == 0) {
      CHECK(pc_capture_passthrough(file) == 1);
      for (int i = 0; i < 5; i++) {
        CHECK(pc_capture_read_jpeg(file, raw.data(), raw.size(), &raw_len) == PC_OK);
        CHECK(pc_encode_jpeg(enc, raw.data(), raw_len, 50, buf.data(), buf.size(), &len) == PC_OK);
        CHECK(pc_decode(dec, buf.data(), len, out) == PC_OK);
      }
    } else {
      CHECK(pc_capture_read(file, frame) == PC_OK);
      CHECK(pc_capture_rewind(file) == PC_OK);
    }
    pc_capture_close(file);

    // Hostile input: truncated, corrupted and random JPEG must fail cleanly.
    CHECK(pc_encode(enc, frame, 60, buf.data(), buf.size(), &len) == PC_OK);
    CHECK(pc_decode(dec, buf.data(), len / 2, out) != PC_OK);
    std::vector<uint8_t> bad(buf.begin(), buf.begin() + len);
    for (size_t i = 100; i < bad.size(); i += 97) bad[i] ^= 0x5a;
    (void)pc_decode(dec, bad.data(), bad.size(), out);
    (void)pc_encode_jpeg(enc, bad.data(), bad.size(), 50, buf.data(), buf.size(), &len);
    for (auto &b : bad) b = static_cast<uint8_t>(std::rand());
    CHECK(pc_decode(dec, bad.data(), bad.size(), out) != PC_OK);
    CHECK(pc_decode(dec, nullptr, 0, out) == PC_ERR_ARG);
    CHECK(std::strlen(pc_decoder_error(dec)) > 0);
    CHECK(pc_capture_open(PC_SOURCE_FILE, "/no/such/file.avi", 0, 0, 0, err, sizeof err) == nullptr);
    CHECK(std::strlen(err) > 0);

    pc_decoder_free(dec);
    pc_encoder_free(enc);
    pc_frame_free(out);
    pc_frame_free(frame);
    // Every free accepts NULL.
    pc_frame_free(nullptr);
    pc_capture_close(nullptr);
    pc_encoder_free(nullptr);
    pc_decoder_free(nullptr);
  }
  std::puts("shim_cycles: ok");
  return 0;
}
