// ASan/LSan/UBSan driver for shim/chafa.cpp (tests/terminal_asan_test.ts):
// detection, every mode at several sizes, the output-space path, hostile
// arguments, and create/free cycles.
#include <cstdio>
#include <cstring>
#include <vector>

#include "../../shim/peercam.h"

static int failures = 0;
#define EXPECT(cond)                                                \
  do {                                                              \
    if (!(cond)) {                                                  \
      std::fprintf(stderr, "chafa_cycles: %d: %s\n", __LINE__, #cond); \
      failures++;                                                   \
    }                                                               \
  } while (0)

int main() {
  const char env[] = "TERM=xterm-256color\0COLORTERM=truecolor\0";
  char err[256];
  EXPECT(pc_term_new(nullptr, err, sizeof err) == nullptr);
  std::vector<uint8_t> bgr(97 * 61 * 3);
  for (size_t i = 0; i < bgr.size(); i++) {
    bgr[i] = static_cast<uint8_t>(i * 31);
  }
  std::vector<uint8_t> out(1 << 20);
  uint32_t len = 0;
  for (int cycle = 0; cycle < 3; cycle++) {
    pc_term *term = pc_term_new(env, err, sizeof err);
    EXPECT(term != nullptr);
    EXPECT((pc_term_capabilities(term) & PC_TERM_CAP_DIRECT) != 0);
    // Not configured yet.
    EXPECT(pc_term_draw(term, bgr.data(), 97, 61, "\r\n", out.data(),
                        out.size(), &len) == PC_ERR_ARG);
    for (int graphics = PC_TERM_SYMBOLS; graphics <= PC_TERM_KITTY;
         graphics++) {
      for (int colors = PC_TERM_COLORS_16; colors <= PC_TERM_COLORS_DIRECT;
           colors++) {
        for (int cols : {1, 7, 40}) {
          EXPECT(pc_term_configure(term, graphics, colors, cols, cols / 2 + 1,
                                   8, 16) == PC_OK);
          EXPECT(pc_term_draw(term, bgr.data(), 97, 61, "\x1b[E\x1b[3G",
                              out.data(), out.size(), &len) == PC_OK);
          EXPECT(len > 0 && len <= out.size());
          // Too small: the size needed, nothing written past cap.
          uint32_t need = 0;
          EXPECT(pc_term_draw(term, bgr.data(), 97, 61, "", out.data(), 4,
                              &need) == PC_ERR_SPACE);
          EXPECT(need > 4);
        }
      }
    }
    EXPECT(pc_term_configure(term, 3, 0, 10, 10, 8, 16) == PC_ERR_ARG);
    EXPECT(pc_term_configure(term, 0, 3, 10, 10, 8, 16) == PC_ERR_ARG);
    EXPECT(pc_term_configure(term, 0, 0, 0, 10, 8, 16) == PC_ERR_ARG);
    EXPECT(pc_term_configure(term, 0, 0, 10, 5000, 8, 16) == PC_ERR_ARG);
    EXPECT(pc_term_configure(term, 0, 0, 10, 10, 0, 16) == PC_ERR_ARG);
    EXPECT(std::strcmp(pc_term_error(term), "invalid argument") == 0);
    EXPECT(pc_term_draw(term, nullptr, 97, 61, "", out.data(), out.size(),
                        &len) == PC_ERR_ARG);
    EXPECT(pc_term_draw(term, bgr.data(), 0, 61, "", out.data(), out.size(),
                        &len) == PC_ERR_ARG);
    EXPECT(pc_term_draw(term, bgr.data(), 97, 61, nullptr, out.data(),
                        out.size(), &len) == PC_ERR_ARG);
    EXPECT(pc_term_draw(term, bgr.data(), 97, 61, "", out.data(), out.size(),
                        nullptr) == PC_ERR_ARG);
    pc_term_free(term);
  }
  pc_term_free(nullptr);
  EXPECT(pc_term_capabilities(nullptr) == PC_ERR_ARG);
  EXPECT(pc_term_configure(nullptr, 0, 0, 1, 1, 1, 1) == PC_ERR_ARG);
  int32_t size[4];
  EXPECT(pc_tty_size(-1, size) == PC_ERR);
  EXPECT(pc_tty_size(0, nullptr) == PC_ERR_ARG);
  if (failures == 0) std::puts("chafa_cycles: ok");
  return failures == 0 ? 0 : 1;
}
