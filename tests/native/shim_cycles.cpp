// Native test of the shim under AddressSanitizer (tests/asan_test.ts):
// open, read, encode, re-encode, decode (whole and scaled), draw and close,
// many times over, with good and hostile inputs, so that ASan and
// LeakSanitizer see every path.
//
//   shim_cycles CLIP
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <turbojpeg.h>

#include "../../shim/peercam.h"

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "check failed: %s (line %d)\n", #cond, __LINE__); \
      std::exit(1);                                                   \
    }                                                                 \
  } while (0)

// Drawing: fills, shading, outlines, text and overlays at sizes and
// positions that reach past every edge, then every kind of bad argument.
static void draw_cycle(int cycle, pc_frame *picture) {
  pc_canvas *c = pc_canvas_new();
  pc_frame *dst = pc_frame_new(), *src = pc_frame_new(), *empty = pc_frame_new();
  CHECK(c && dst && src && empty);
  const int w = 97 + cycle * 13, h = 61 + cycle * 7;
  CHECK(pc_draw_fill(c, dst, w, h, 0x102030) == PC_OK);
  CHECK(pc_frame_width(dst) == w && pc_frame_height(dst) == h);
  CHECK(pc_draw_fill(c, src, 31 + cycle, 17 + cycle, 0xff0000) == PC_OK);
  int32_t wh[2] = {0, 0};
  const char *texts[] = {"", "Hg [|] _", "caf\xc3\xa9 \x01\x7f\xff",
                         "a long line of text that runs off"};
  for (int dx = -60; dx <= w + 20; dx += 37) {
    for (int dy = -40; dy <= h + 20; dy += 29) {
      CHECK(pc_draw_shade(c, dst, dx, dy, 50, 30, 0x000000, 0.5) == PC_OK);
      CHECK(pc_draw_rect(c, dst, dx, dy, 45, 25, 0x00ff00, dx & 3) == PC_OK);
      for (int mirror = 0; mirror < 2; mirror++) {
        // Shrunk, kept and enlarged.
        for (int size : {8, 31 + cycle, 70}) {
          CHECK(pc_draw_overlay(c, dst, src, dx, dy, size, size * 3 / 4, mirror, mirror * 2,
                                0xffffff) == PC_OK);
        }
        CHECK(pc_draw_overlay(c, dst, picture, dx, dy, w / 4, h / 4, mirror, 1, 0xe6e6e6) ==
              PC_OK);
      }
      for (const char *text : texts) {
        CHECK(pc_draw_text(c, dst, text, dx, dy, 16 + (dy & 31), 0xffffff, 1 + (dx & 1), wh) ==
              PC_OK);
      }
    }
  }
  CHECK(pc_text_size(c, texts[1], 24, 2, wh) == PC_OK && wh[0] > 0 && wh[1] == 24);
  CHECK(pc_draw_overlay(c, dst, src, 0, 0, 0, 0, 1, 1, 0) == PC_OK);  // no area
  // Bad arguments are errors with a message, never crashes.
  CHECK(pc_draw_fill(nullptr, dst, 4, 4, 0) == PC_ERR_ARG);
  CHECK(pc_draw_fill(c, nullptr, 4, 4, 0) == PC_ERR_ARG);
  CHECK(pc_draw_fill(c, dst, 0, 4, 0) == PC_ERR_ARG);
  CHECK(pc_draw_fill(c, dst, 9000, 9000, 0) == PC_ERR_ARG);
  CHECK(pc_draw_shade(c, empty, 0, 0, 4, 4, 0, 0.5) == PC_ERR_ARG);
  CHECK(pc_draw_shade(c, dst, 0, 0, 4, 4, 0, 1.5) == PC_ERR_ARG);
  CHECK(pc_draw_shade(c, dst, 0, 0, 4, 4, 0, std::nan("")) == PC_ERR_ARG);
  CHECK(pc_draw_rect(c, dst, 0, 0, -4, 4, 0, 1) == PC_ERR_ARG);
  CHECK(pc_draw_rect(c, nullptr, 0, 0, 4, 4, 0, 1) == PC_ERR_ARG);
  CHECK(pc_draw_text(c, dst, nullptr, 0, 0, 20, 0, 1, wh) == PC_ERR_ARG);
  CHECK(pc_draw_text(c, dst, "x", 0, 0, 20, 0, 1, nullptr) == PC_ERR_ARG);
  CHECK(pc_draw_text(c, dst, "x", 0, 0, 5, 0, 1, wh) == PC_ERR_ARG);
  CHECK(pc_draw_text(c, dst, "x", 0, 0, 20, 0, 0, wh) == PC_ERR_ARG);
  CHECK(pc_draw_text(c, empty, "x", 0, 0, 20, 0, 1, wh) == PC_ERR_ARG);
  CHECK(pc_text_size(c, "x", 100000, 1, wh) == PC_ERR_ARG);
  CHECK(pc_draw_overlay(c, dst, dst, 0, 0, 4, 4, 0, 0, 0) == PC_ERR_ARG);
  CHECK(pc_draw_overlay(c, dst, empty, 0, 0, 4, 4, 0, 0, 0) == PC_ERR_ARG);
  CHECK(pc_draw_overlay(c, dst, nullptr, 0, 0, 4, 4, 0, 0, 0) == PC_ERR_ARG);
  CHECK(pc_draw_overlay(c, dst, src, 0, 0, 4, -4, 0, 0, 0) == PC_ERR_ARG);
  CHECK(pc_draw_overlay(c, dst, src, 0, 0, 4, 4, 0, -1, 0) == PC_ERR_ARG);
  CHECK(std::strlen(pc_canvas_error(c)) > 0);
  CHECK(std::strlen(pc_canvas_error(nullptr)) > 0);
  pc_frame_free(empty);
  pc_frame_free(src);
  pc_frame_free(dst);
  pc_canvas_free(c);
  pc_canvas_free(nullptr);
}

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
    // Labels: none, short, too long, not ASCII; each one set replaces the last.
    const char *labels[] = {nullptr, "Alice",
                            "a label of more than sixty-four bytes, which the shim cuts short!!",
                            "Zo\xc3\xab \xf0\x9f\x98\x80", ""};
    for (int i = 0; i < 5; i++) {
      CHECK(pc_capture_set_label(test, labels[(cycle + i) % 5]) == PC_OK);
      CHECK(pc_capture_read(test, frame) == PC_OK);
      CHECK(pc_encode(enc, frame, 10 + cycle * 4, buf.data(), buf.size(), &len) == PC_OK);
      CHECK(pc_decode(dec, buf.data(), len, out) == PC_OK);
      CHECK(pc_frame_width(out) == 320 + cycle * 16);
      // Scaled decodes: each side divided, rounded up.
      for (int denominator : {1, 2, 4, 8}) {
        CHECK(pc_decode_scaled(dec, buf.data(), len, denominator, out) == PC_OK);
        CHECK(pc_frame_width(out) == (320 + cycle * 16 + denominator - 1) / denominator);
        CHECK(pc_frame_height(out) == (240 + denominator - 1) / denominator);
      }
    }
    CHECK(pc_capture_set_label(nullptr, "x") == PC_ERR_ARG);
    // Resizing, as the rate control's smaller rungs do: down, up, the same
    // size twice (the buffer reused), and refused arguments.
    for (int i = 0; i < 4; i++) {
      const int w = i % 2 ? 160 + cycle : 480 + cycle * 8, h = i % 2 ? 120 : 360;
      CHECK(pc_frame_resize(frame, out, w, h) == PC_OK);
      CHECK(pc_frame_width(out) == w && pc_frame_height(out) == h);
    }
    CHECK(pc_frame_resize(frame, frame, 100, 100) == PC_ERR_ARG);
    CHECK(pc_frame_resize(frame, out, 0, 100) == PC_ERR_ARG);
    CHECK(pc_frame_resize(frame, out, 100, 9000) == PC_ERR_ARG);
    CHECK(pc_frame_resize(nullptr, out, 100, 100) == PC_ERR_ARG);
    // A frame too small for any label still draws, and draws the label cut.
    pc_capture *tiny = pc_capture_open(PC_SOURCE_TEST, "", 8 + cycle, 6 + cycle, 0, err, sizeof err);
    CHECK(tiny != nullptr);
    CHECK(pc_capture_set_label(tiny, labels[1 + cycle % 3]) == PC_OK);
    for (int i = 0; i < 3; i++) CHECK(pc_capture_read(tiny, out) == PC_OK);
    pc_capture_close(tiny);
    for (int denominator : {0, 3, 16, -8}) {
      CHECK(pc_decode_scaled(dec, buf.data(), len, denominator, out) == PC_ERR_ARG);
    }
    CHECK(pc_decode_scaled(dec, buf.data(), len / 3, 4, out) != PC_OK);
    CHECK(pc_decode_scaled(dec, buf.data(), len, 4, out) == PC_OK);
    draw_cycle(cycle, frame);
    CHECK(pc_encode(enc, frame, 80, buf.data(), 10, &len) == PC_ERR_SPACE);
    pc_capture_close(test);

    pc_capture *file = pc_capture_open(PC_SOURCE_FILE, clip, 0, 0, 0, err, sizeof err);
    CHECK(file != nullptr);
    if (cycle % 2 == 0) {
      CHECK(pc_capture_passthrough(file) == 1);
      for (int i = 0; i < 5; i++) {
        CHECK(pc_capture_read_jpeg(file, raw.data(), raw.size(), &raw_len) == PC_OK);
        // Coarser and finer than the source, up to quality 100.
        const int quality = i == 4 ? 100 : 10 + cycle * 4 + i;
        CHECK(pc_encode_jpeg(enc, raw.data(), raw_len, quality, buf.data(), buf.size(), &len) ==
              PC_OK);
        CHECK(pc_decode(dec, buf.data(), len, out) == PC_OK);
        CHECK(pc_frame_width(out) == 320);
      }
      // Too small an output reports the size needed; the retry fits exactly.
      const uint32_t whole = len;
      CHECK(pc_encode_jpeg(enc, raw.data(), raw_len, 100, buf.data(), 100, &len) == PC_ERR_SPACE);
      CHECK(len == whole);
      CHECK(pc_encode_jpeg(enc, raw.data(), raw_len, 100, buf.data(), whole, &len) == PC_OK);
      CHECK(len == whole);
      // A truncated source fails, and the next frame still re-encodes.
      CHECK(pc_encode_jpeg(enc, raw.data(), raw_len / 2, 50, buf.data(), buf.size(), &len) ==
            PC_ERR);
      CHECK(std::strlen(pc_encoder_error(enc)) > 0);
      CHECK(pc_encode_jpeg(enc, raw.data(), raw_len, 50, buf.data(), buf.size(), &len) == PC_OK);
    } else {
      CHECK(pc_capture_read(file, frame) == PC_OK);
      CHECK(pc_capture_rewind(file) == PC_OK);
    }
    pc_capture_close(file);

    // Other kinds of JPEG source: greyscale, 4:2:2, 4:4:4, progressive.
    {
      tjhandle tj = tjInitCompress();
      CHECK(tj != nullptr);
      std::vector<uint8_t> bgr(256 * 128 * 3);
      for (size_t i = 0; i < bgr.size(); i++) bgr[i] = static_cast<uint8_t>(i * 7 + cycle);
      const int kinds[][2] = {{TJSAMP_GRAY, 0}, {TJSAMP_422, 0}, {TJSAMP_444, 0},
                              {TJSAMP_420, TJFLAG_PROGRESSIVE}};
      for (const auto &kind : kinds) {
        unsigned char *src = nullptr;
        unsigned long src_len = 0;
        CHECK(tjCompress2(tj, bgr.data(), 256, 0, 128, TJPF_BGR, &src, &src_len, kind[0], 90,
                          kind[1]) == 0);
        CHECK(pc_encode_jpeg(enc, src, src_len, 40, buf.data(), buf.size(), &len) == PC_OK);
        CHECK(pc_decode(dec, buf.data(), len, out) == PC_OK);
        CHECK(pc_frame_width(out) == 256 && pc_frame_height(out) == 128);
        tjFree(src);
      }
      tjDestroy(tj);
    }

    // Hostile input: truncated, corrupted and random JPEG must fail cleanly.
    CHECK(pc_encode(enc, frame, 60, buf.data(), buf.size(), &len) == PC_OK);
    CHECK(pc_decode(dec, buf.data(), len / 2, out) != PC_OK);
    std::vector<uint8_t> bad(buf.begin(), buf.begin() + len);
    for (size_t i = 100; i < bad.size(); i += 97) bad[i] ^= 0x5a;
    (void)pc_decode(dec, bad.data(), bad.size(), out);
    (void)pc_encode_jpeg(enc, bad.data(), bad.size(), 50, buf.data(), buf.size(), &len);
    for (auto &b : bad) b = static_cast<uint8_t>(std::rand());
    CHECK(pc_decode(dec, bad.data(), bad.size(), out) != PC_OK);
    CHECK(pc_encode_jpeg(enc, bad.data(), bad.size(), 50, buf.data(), buf.size(), &len) != PC_OK);
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
