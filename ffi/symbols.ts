/**
 * The shim's symbol tables, one per library (see `shim/peercam.h`). Data
 * only: each entry's comment is the C declaration it binds.
 *
 * Every call is synchronous. Capture, encode and decode run in the worker
 * that owns the handle (`src/send/capture_worker.ts`,
 * `src/receive/decode_worker.ts`), blocking that worker, not the main thread,
 * with no handoff to a pool thread and back (see docs/PERFORMANCE.md).
 * Window calls stay on the main thread, which Qt requires; drawing into
 * frames may run on any thread.
 *
 * @module
 */

/** The `Deno.dlopen` interface of `libpeercam`: frames and the JPEG codec. */
export const symbols = {
  // int pc_abi_version(void)
  pc_abi_version: { parameters: [], result: "i32" },

  // pc_frame *pc_frame_new(void)
  pc_frame_new: { parameters: [], result: "pointer" },
  // void pc_frame_free(pc_frame *frame)
  pc_frame_free: { parameters: ["pointer"], result: "void" },
  // int pc_frame_width(const pc_frame *frame)
  pc_frame_width: { parameters: ["pointer"], result: "i32" },
  // int pc_frame_height(const pc_frame *frame)
  pc_frame_height: { parameters: ["pointer"], result: "i32" },
  // int pc_frame_copy_bgr(const pc_frame *frame, uint8_t *out, uint32_t cap)
  pc_frame_copy_bgr: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  // int pc_frame_set_bgr(pc_frame *frame, const uint8_t *bgr, int width, int height)
  pc_frame_set_bgr: { parameters: ["pointer", "buffer", "i32", "i32"], result: "i32" },

  // pc_encoder *pc_encoder_new(void)
  pc_encoder_new: { parameters: [], result: "pointer" },
  // void pc_encoder_free(pc_encoder *enc)
  pc_encoder_free: { parameters: ["pointer"], result: "void" },
  // int pc_encode(pc_encoder *enc, const pc_frame *frame, int quality,
  //     uint8_t *out, uint32_t cap, uint32_t *len)
  pc_encode: {
    parameters: ["pointer", "pointer", "i32", "buffer", "u32", "buffer"],
    result: "i32",
  },
  // int pc_encode_jpeg(pc_encoder *enc, const uint8_t *jpeg, uint32_t jpeg_len,
  //     int quality, uint8_t *out, uint32_t cap, uint32_t *len)
  pc_encode_jpeg: {
    parameters: ["pointer", "buffer", "u32", "i32", "buffer", "u32", "buffer"],
    result: "i32",
  },
  // const char *pc_encoder_error(const pc_encoder *enc)
  pc_encoder_error: { parameters: ["pointer"], result: "pointer" },

  // pc_decoder *pc_decoder_new(void)
  pc_decoder_new: { parameters: [], result: "pointer" },
  // void pc_decoder_free(pc_decoder *dec)
  pc_decoder_free: { parameters: ["pointer"], result: "void" },
  // int pc_decode(pc_decoder *dec, const uint8_t *data, uint32_t len, pc_frame *out)
  pc_decode: { parameters: ["pointer", "buffer", "u32", "pointer"], result: "i32" },
  // int pc_decode_scaled(pc_decoder *dec, const uint8_t *data, uint32_t len,
  //     int denominator, pc_frame *out)
  pc_decode_scaled: { parameters: ["pointer", "buffer", "u32", "i32", "pointer"], result: "i32" },
  // const char *pc_decoder_error(const pc_decoder *dec)
  pc_decoder_error: { parameters: ["pointer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * The `Deno.dlopen` interface of `libpeercam_capture`: capture sources, and
 * scaling frames (OpenCV's imgproc, which this library links already).
 */
export const captureSymbols = {
  // int pc_capture_abi_version(void)
  pc_capture_abi_version: { parameters: [], result: "i32" },

  // pc_capture *pc_capture_open(int kind, const char *spec, int width,
  //     int height, double fps, char *err, uint32_t errlen)
  pc_capture_open: {
    parameters: ["i32", "buffer", "i32", "i32", "f64", "buffer", "u32"],
    result: "pointer",
  },
  // void pc_capture_close(pc_capture *cap)
  pc_capture_close: { parameters: ["pointer"], result: "void" },
  // int pc_capture_read(pc_capture *cap, pc_frame *out)
  pc_capture_read: { parameters: ["pointer", "pointer"], result: "i32" },
  // int pc_capture_source_size(pc_capture *cap, int32_t *wh)
  pc_capture_source_size: { parameters: ["pointer", "buffer"], result: "i32" },
  // int pc_capture_passthrough(pc_capture *cap)
  pc_capture_passthrough: { parameters: ["pointer"], result: "i32" },
  // int pc_capture_read_jpeg(pc_capture *cap, uint8_t *out, uint32_t cap_bytes, uint32_t *len)
  pc_capture_read_jpeg: { parameters: ["pointer", "buffer", "u32", "buffer"], result: "i32" },
  // int pc_capture_rewind(pc_capture *cap)
  pc_capture_rewind: { parameters: ["pointer"], result: "i32" },
  // int pc_capture_set_label(pc_capture *cap, const char *label)
  pc_capture_set_label: { parameters: ["pointer", "buffer"], result: "i32" },
  // const char *pc_capture_error(const pc_capture *cap)
  pc_capture_error: { parameters: ["pointer"], result: "pointer" },
  // int pc_frame_resize(const pc_frame *src, pc_frame *dst, int width, int height)
  pc_frame_resize: { parameters: ["pointer", "pointer", "i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The `Deno.dlopen` interface of `libpeercam_window`: the window and drawing. */
export const windowSymbols = {
  // int pc_window_abi_version(void)
  pc_window_abi_version: { parameters: [], result: "i32" },

  // pc_window *pc_window_open(const char *id, const char *title, char *err, uint32_t errlen)
  pc_window_open: { parameters: ["buffer", "buffer", "buffer", "u32"], result: "pointer" },
  // void pc_window_close(pc_window *win)
  pc_window_close: { parameters: ["pointer"], result: "void" },
  // int pc_window_show(pc_window *win, const pc_frame *frame)
  pc_window_show: { parameters: ["pointer", "pointer"], result: "i32" },
  // int pc_window_resize(pc_window *win, int width, int height)
  pc_window_resize: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  // int pc_window_move(pc_window *win, int x, int y)
  pc_window_move: { parameters: ["pointer", "i32", "i32"], result: "i32" },
  // int pc_window_visible(pc_window *win)
  pc_window_visible: { parameters: ["pointer"], result: "i32" },
  // int pc_window_poll_key(pc_window *win, int delay_ms)
  pc_window_poll_key: { parameters: ["pointer", "i32"], result: "i32" },
  // int pc_window_set_title(pc_window *win, const char *title)
  pc_window_set_title: { parameters: ["pointer", "buffer"], result: "i32" },
  // int pc_window_set_fullscreen(pc_window *win, int on)
  pc_window_set_fullscreen: { parameters: ["pointer", "i32"], result: "i32" },
  // int pc_window_fullscreen(pc_window *win)
  pc_window_fullscreen: { parameters: ["pointer"], result: "i32" },
  // int pc_window_image_rect(pc_window *win, int32_t *xywh)
  pc_window_image_rect: { parameters: ["pointer", "buffer"], result: "i32" },
  // const char *pc_window_error(const pc_window *win)
  pc_window_error: { parameters: ["pointer"], result: "pointer" },

  // pc_canvas *pc_canvas_new(void)
  pc_canvas_new: { parameters: [], result: "pointer" },
  // void pc_canvas_free(pc_canvas *canvas)
  pc_canvas_free: { parameters: ["pointer"], result: "void" },
  // int pc_draw_fill(pc_canvas *canvas, pc_frame *frame, int width, int height, uint32_t rgb)
  pc_draw_fill: { parameters: ["pointer", "pointer", "i32", "i32", "u32"], result: "i32" },
  // int pc_draw_shade(pc_canvas *canvas, pc_frame *frame, int x, int y, int w, int h,
  //     uint32_t rgb, double alpha)
  pc_draw_shade: {
    parameters: ["pointer", "pointer", "i32", "i32", "i32", "i32", "u32", "f64"],
    result: "i32",
  },
  // int pc_draw_rect(pc_canvas *canvas, pc_frame *frame, int x, int y, int w, int h,
  //     uint32_t rgb, int thickness)
  pc_draw_rect: {
    parameters: ["pointer", "pointer", "i32", "i32", "i32", "i32", "u32", "i32"],
    result: "i32",
  },
  // int pc_draw_text(pc_canvas *canvas, pc_frame *frame, const char *text, int x, int y,
  //     int line_height, uint32_t rgb, int thickness, int32_t *wh)
  pc_draw_text: {
    parameters: ["pointer", "pointer", "buffer", "i32", "i32", "i32", "u32", "i32", "buffer"],
    result: "i32",
  },
  // int pc_text_size(pc_canvas *canvas, const char *text, int line_height, int thickness,
  //     int32_t *wh)
  pc_text_size: { parameters: ["pointer", "buffer", "i32", "i32", "buffer"], result: "i32" },
  // int pc_draw_overlay(pc_canvas *canvas, pc_frame *dst, const pc_frame *src, int x, int y,
  //     int w, int h, int mirror, int border, uint32_t rgb)
  pc_draw_overlay: {
    parameters: [
      "pointer",
      "pointer",
      "pointer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "u32",
    ],
    result: "i32",
  },
  // const char *pc_canvas_error(const pc_canvas *canvas)
  pc_canvas_error: { parameters: ["pointer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The `Deno.dlopen` interface of `libpeercam_record`: Matroska recording. */
export const recordSymbols = {
  // int pc_record_abi_version(void)
  pc_record_abi_version: { parameters: [], result: "i32" },

  // pc_recorder *pc_recorder_open(const char *path, int tracks, const int32_t *sizes,
  //     char *err, uint32_t errlen)
  pc_recorder_open: { parameters: ["buffer", "i32", "buffer", "buffer", "u32"], result: "pointer" },
  // int pc_recorder_write(pc_recorder *rec, int track, const uint8_t *data, uint32_t len,
  //     int64_t pts_us)
  pc_recorder_write: { parameters: ["pointer", "i32", "buffer", "u32", "i64"], result: "i32" },
  // int pc_recorder_finish(pc_recorder *rec)
  pc_recorder_finish: { parameters: ["pointer"], result: "i32" },
  // void pc_recorder_free(pc_recorder *rec)
  pc_recorder_free: { parameters: ["pointer"], result: "void" },
  // const char *pc_recorder_error(const pc_recorder *rec)
  pc_recorder_error: { parameters: ["pointer"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * The `Deno.dlopen` interface of `libpeercam_chafa`: pictures as terminal
 * output. `pc_term_draw` is nonblocking: it runs on a pool thread so that
 * the main thread goes on while chafa works (one call in flight per handle).
 */
export const chafaSymbols = {
  // int pc_chafa_abi_version(void)
  pc_chafa_abi_version: { parameters: [], result: "i32" },

  // pc_term *pc_term_new(const char *env, char *err, uint32_t errlen)
  pc_term_new: { parameters: ["buffer", "buffer", "u32"], result: "pointer" },
  // void pc_term_free(pc_term *term)
  pc_term_free: { parameters: ["pointer"], result: "void" },
  // int pc_term_capabilities(const pc_term *term)
  pc_term_capabilities: { parameters: ["pointer"], result: "i32" },
  // int pc_term_configure(pc_term *term, int graphics, int colors, int cols, int rows,
  //     int cell_width, int cell_height)
  pc_term_configure: {
    parameters: ["pointer", "i32", "i32", "i32", "i32", "i32", "i32"],
    result: "i32",
  },
  // int pc_term_draw(pc_term *term, const uint8_t *bgr, int width, int height,
  //     const char *row_break, uint8_t *out, uint32_t cap, uint32_t *len)
  pc_term_draw: {
    parameters: ["pointer", "buffer", "i32", "i32", "buffer", "buffer", "u32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  // const char *pc_term_error(const pc_term *term)
  pc_term_error: { parameters: ["pointer"], result: "pointer" },
  // int pc_tty_size(int fd, int32_t *size)
  pc_tty_size: { parameters: ["i32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded `libpeercam`'s symbols. */
export type Shim = Deno.DynamicLibrary<typeof symbols>["symbols"];
/** The loaded `libpeercam_capture`'s symbols. */
export type CaptureShim = Deno.DynamicLibrary<typeof captureSymbols>["symbols"];
/** The loaded `libpeercam_window`'s symbols. */
export type WindowShim = Deno.DynamicLibrary<typeof windowSymbols>["symbols"];
/** The loaded `libpeercam_record`'s symbols. */
export type RecordShim = Deno.DynamicLibrary<typeof recordSymbols>["symbols"];

/** The loaded `libpeercam_chafa`'s symbols. */
export type ChafaShim = Deno.DynamicLibrary<typeof chafaSymbols>["symbols"];

/** Status codes returned by the shim (`PC_*` in `shim/peercam.h`). */
export const Status = {
  OK: 0,
  END: 1,
  ERR: -1,
  ERR_ARG: -2,
  ERR_SPACE: -3,
} as const;

/** The ABI version this binding expects (`PC_ABI_VERSION`). */
export const ABI_VERSION = 1;
