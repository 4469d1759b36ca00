// Pictures as terminal output through libchafa: symbols with colours,
// sixel or kitty graphics. The canvas and its configuration are reused from
// frame to frame; only a change of size or mode makes new ones.
#include <new>
#include <stdexcept>
#include <vector>

#include <chafa.h>
#include <sys/ioctl.h>

#include "common.hpp"

struct pc_term : pc_object {
  ChafaTermInfo *info = nullptr;  // detected, then completed with the fallback
  int caps = 0;                   // PC_TERM_CAP_* of the detected terminal
  ChafaCanvasConfig *config = nullptr;
  ChafaCanvas *canvas = nullptr;
  int graphics = -1, colors = -1, cols = 0, rows = 0;
  int cell_width = 0, cell_height = 0;
};

#ifndef PC_TERM_WORK_FACTOR
#define PC_TERM_WORK_FACTOR 0.2f
#endif

namespace {

int capabilities_of(ChafaTermInfo *info) {
  struct {
    ChafaTermSeq seq;
    int cap;
  } const table[] = {
      {CHAFA_TERM_SEQ_BEGIN_KITTY_IMMEDIATE_IMAGE_V1, PC_TERM_CAP_KITTY},
      {CHAFA_TERM_SEQ_BEGIN_SIXELS, PC_TERM_CAP_SIXEL},
      {CHAFA_TERM_SEQ_SET_COLOR_FGBG_DIRECT, PC_TERM_CAP_DIRECT},
      {CHAFA_TERM_SEQ_SET_COLOR_FGBG_256, PC_TERM_CAP_256},
      {CHAFA_TERM_SEQ_SET_COLOR_FGBG_16, PC_TERM_CAP_16},
  };
  int caps = 0;
  for (const auto &entry : table) {
    if (chafa_term_info_have_seq(info, entry.seq)) caps |= entry.cap;
  }
  return caps;
}

ChafaCanvasMode canvas_mode(int colors) {
  switch (colors) {
    case PC_TERM_COLORS_DIRECT:
      return CHAFA_CANVAS_MODE_TRUECOLOR;
    case PC_TERM_COLORS_256:
      // 240: the 16 colours users reconfigure are left out, as chafa does.
      return CHAFA_CANVAS_MODE_INDEXED_240;
    default:
      return CHAFA_CANVAS_MODE_INDEXED_16;
  }
}

ChafaPixelMode pixel_mode(int graphics) {
  switch (graphics) {
    case PC_TERM_KITTY:
      return CHAFA_PIXEL_MODE_KITTY;
    case PC_TERM_SIXEL:
      return CHAFA_PIXEL_MODE_SIXELS;
    default:
      return CHAFA_PIXEL_MODE_SYMBOLS;
  }
}

void drop_canvas(pc_term *term) {
  if (term->canvas != nullptr) chafa_canvas_unref(term->canvas);
  if (term->config != nullptr) chafa_canvas_config_unref(term->config);
  term->canvas = nullptr;
  term->config = nullptr;
  term->cols = term->rows = 0;
}

}  // namespace

extern "C" {

int pc_chafa_abi_version(void) { return PC_ABI_VERSION; }

pc_term *pc_term_new(const char *env, char *err, uint32_t errlen) {
  if (env == nullptr) {
    pc_write_error(err, errlen, "invalid argument");
    return nullptr;
  }
  return pc_guard_new<pc_term>(err, errlen, [&]() -> pc_term * {
    // env is a block of NUL-terminated "NAME=value" strings ending with an
    // empty one; chafa wants a NULL-terminated array.
    std::vector<gchar *> envp;
    for (const char *p = env; *p != '\0'; p += std::strlen(p) + 1) {
      envp.push_back(const_cast<gchar *>(p));
    }
    envp.push_back(nullptr);
    ChafaTermDb *db = chafa_term_db_get_default();
    ChafaTermInfo *info = chafa_term_db_detect(db, envp.data());
    if (info == nullptr) {
      throw std::runtime_error("cannot detect the terminal");
    }
    auto *term = new (std::nothrow) pc_term();
    if (term == nullptr) {
      chafa_term_info_unref(info);
      throw std::bad_alloc();
    }
    term->caps = capabilities_of(info);
    // A forced mode the terminal was not detected with still prints.
    ChafaTermInfo *fallback = chafa_term_db_get_fallback_info(db);
    chafa_term_info_supplement(info, fallback);
    chafa_term_info_unref(fallback);
    term->info = info;
    return term;
  });
}

void pc_term_free(pc_term *term) {
  if (term == nullptr) return;
  drop_canvas(term);
  if (term->info != nullptr) chafa_term_info_unref(term->info);
  delete term;
}

int pc_term_capabilities(const pc_term *term) {
  return term == nullptr ? PC_ERR_ARG : term->caps;
}

int pc_term_configure(pc_term *term, int graphics, int colors, int cols,
                      int rows, int cell_width, int cell_height) {
  if (term == nullptr) return PC_ERR_ARG;
  if (graphics < PC_TERM_SYMBOLS || graphics > PC_TERM_KITTY ||
      colors < PC_TERM_COLORS_16 || colors > PC_TERM_COLORS_DIRECT ||
      cols < 1 || rows < 1 || cols > 4096 || rows > 4096 || cell_width < 1 ||
      cell_height < 1 || cell_width > 1024 || cell_height > 1024) {
    term->error = "invalid argument";
    return PC_ERR_ARG;
  }
  if (term->canvas != nullptr && graphics == term->graphics &&
      colors == term->colors && cols == term->cols && rows == term->rows &&
      cell_width == term->cell_width && cell_height == term->cell_height) {
    return PC_OK;
  }
  return pc_guard(term, [&]() {
    drop_canvas(term);
    term->config = chafa_canvas_config_new();
    chafa_canvas_config_set_geometry(term->config, cols, rows);
    chafa_canvas_config_set_cell_geometry(term->config, cell_width,
                                          cell_height);
    chafa_canvas_config_set_pixel_mode(term->config, pixel_mode(graphics));
    chafa_canvas_config_set_canvas_mode(term->config, canvas_mode(colors));
    // Video: block and line symbols only, and less search per cell than
    // chafa's default (its default work factor takes ~4x longer per frame).
    ChafaSymbolMap *symbols = chafa_symbol_map_new();
    chafa_symbol_map_add_by_tags(
        symbols, static_cast<ChafaSymbolTags>(CHAFA_SYMBOL_TAG_BLOCK |
                                              CHAFA_SYMBOL_TAG_BORDER |
                                              CHAFA_SYMBOL_TAG_SPACE));
    chafa_canvas_config_set_symbol_map(term->config, symbols);
    chafa_symbol_map_unref(symbols);
    chafa_canvas_config_set_work_factor(term->config, PC_TERM_WORK_FACTOR);
    term->canvas = chafa_canvas_new(term->config);
    if (term->canvas == nullptr) {
      drop_canvas(term);
      term->error = "cannot create the chafa canvas";
      return PC_ERR;
    }
    term->graphics = graphics;
    term->colors = colors;
    term->cols = cols;
    term->rows = rows;
    term->cell_width = cell_width;
    term->cell_height = cell_height;
    return PC_OK;
  });
}

int pc_term_draw(pc_term *term, const uint8_t *bgr, int width, int height,
                 const char *row_break, uint8_t *out, uint32_t cap,
                 uint32_t *len) {
  if (term == nullptr) return PC_ERR_ARG;
  if (bgr == nullptr || width < 1 || height < 1 || width > PC_MAX_EDGE ||
      height > PC_MAX_EDGE || row_break == nullptr || out == nullptr ||
      len == nullptr) {
    term->error = "invalid argument";
    return PC_ERR_ARG;
  }
  if (term->canvas == nullptr) {
    term->error = "not configured";
    return PC_ERR_ARG;
  }
  return pc_guard(term, [&]() {
    chafa_canvas_draw_all_pixels(term->canvas, CHAFA_PIXEL_BGR8, bgr, width,
                                 height, width * 3);
    GString *text = chafa_canvas_print(term->canvas, term->info);
    const size_t breaklen = std::strlen(row_break);
    size_t needed = 0;
    for (gsize i = 0; i < text->len; i++) {
      needed += text->str[i] == '\n' ? breaklen : 1;
    }
    if (needed > cap) {
      g_string_free(text, TRUE);
      *len = needed > UINT32_MAX ? UINT32_MAX
                                 : static_cast<uint32_t>(needed);
      term->error = "output buffer too small";
      return PC_ERR_SPACE;
    }
    uint8_t *dst = out;
    for (gsize i = 0; i < text->len; i++) {
      if (text->str[i] == '\n') {
        std::memcpy(dst, row_break, breaklen);
        dst += breaklen;
      } else {
        *dst++ = static_cast<uint8_t>(text->str[i]);
      }
    }
    g_string_free(text, TRUE);
    *len = static_cast<uint32_t>(needed);
    return PC_OK;
  });
}

int pc_tty_size(int fd, int32_t *size) {
  if (size == nullptr) return PC_ERR_ARG;
  struct winsize ws {};
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return PC_ERR;
  size[0] = ws.ws_col;
  size[1] = ws.ws_row;
  size[2] = ws.ws_xpixel;
  size[3] = ws.ws_ypixel;
  return PC_OK;
}

const char *pc_term_error(const pc_term *term) { return pc_error_of(term); }

}  // extern "C"
