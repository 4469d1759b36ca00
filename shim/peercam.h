/*
 * peercam shim: a small C ABI over OpenCV 4 for capture, JPEG codec and
 * display. All policy lives in TypeScript (ffi/, src/); this layer only
 * translates calls and catches every C++ exception at the boundary.
 *
 * Conventions
 * - Opaque handles with a `pc_` prefix. Every `_new`/`_open` has a
 *   `_free`/`_close` that accepts NULL, so a double close is harmless.
 * - Functions return `int` status codes (PC_OK, ...). On failure the message
 *   is kept on the handle and read with the handle's `_error` function; the
 *   returned pointer is borrowed and stays valid until the next call on that
 *   handle. Calls that create a handle write their message into a
 *   caller-supplied buffer instead.
 * - One call in flight per handle. Different handles may be used from
 *   different threads; window functions must run on the main thread.
 */
#ifndef PEERCAM_SHIM_H
#define PEERCAM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PC_ABI_VERSION 1

/* Status codes. */
#define PC_OK 0
#define PC_END 1          /* capture: the source has no more frames */
#define PC_ERR -1         /* failure; message on the handle */
#define PC_ERR_ARG -2     /* invalid argument (NULL handle, empty buffer...) */
#define PC_ERR_SPACE -3   /* output buffer too small; needed size reported */

/* Largest image the decoder accepts (edge and area, in pixels). */
#define PC_MAX_EDGE 8192
#define PC_MAX_PIXELS (8192L * 4320L)

/* Longest test pattern label, in bytes (pc_capture_set_label). */
#define PC_LABEL_MAX 64

/* Capture source kinds (chosen by the caller from the --source spec). */
#define PC_SOURCE_CAMERA 0   /* spec is a decimal camera index */
#define PC_SOURCE_DEVICE 1   /* spec is a device path such as /dev/video0 */
#define PC_SOURCE_FILE 2     /* spec is a video file path */
#define PC_SOURCE_URL 3      /* spec is a URL FFmpeg can open */
#define PC_SOURCE_GST 4      /* spec is a GStreamer pipeline ending in appsink */
#define PC_SOURCE_TEST 5     /* synthetic moving pattern; spec ignored */

typedef struct pc_frame pc_frame;
typedef struct pc_capture pc_capture;
typedef struct pc_encoder pc_encoder;
typedef struct pc_decoder pc_decoder;
typedef struct pc_window pc_window;
typedef struct pc_canvas pc_canvas;
typedef struct pc_recorder pc_recorder;
typedef struct pc_term pc_term;

/*
 * The shim is five libraries (shim/build.ts), each loaded when first used:
 * libpeercam (frames, encoder, decoder), libpeercam_capture (capture),
 * libpeercam_window (window and drawing), libpeercam_record (recording;
 * optional) and libpeercam_chafa (the terminal view; optional).
 * Each returns the PC_ABI_VERSION it was built with.
 */
int pc_abi_version(void);
int pc_capture_abi_version(void);
int pc_window_abi_version(void);

/* --- frames: an 8-bit BGR image owned by the shim ----------------------- */
pc_frame *pc_frame_new(void);
void pc_frame_free(pc_frame *frame);
int pc_frame_width(const pc_frame *frame);
int pc_frame_height(const pc_frame *frame);
/* Copies the frame's BGR pixels, row by row without padding, into out
 * (capacity cap bytes). Returns PC_ERR_SPACE when cap < width*height*3. */
int pc_frame_copy_bgr(const pc_frame *frame, uint8_t *out, uint32_t cap);
/* Replaces the frame's pixels with a copy of width*height*3 BGR bytes. */
int pc_frame_set_bgr(pc_frame *frame, const uint8_t *bgr, int width,
                     int height);

/* --- capture ----------------------------------------------------------- */
/* Opens a source, asking for width x height at fps (0 = source default).
 * Returns NULL on failure with the reason written to err (errlen bytes). */
pc_capture *pc_capture_open(int kind, const char *spec, int width, int height,
                            double fps, char *err, uint32_t errlen);
void pc_capture_close(pc_capture *cap);
/* Reads the next frame into out, scaled to the requested size. Returns
 * PC_OK, PC_END when the source is exhausted, or PC_ERR. */
int pc_capture_read(pc_capture *cap, pc_frame *out);
/* Writes the source's own frame width and height (before scaling) to
 * wh[0], wh[1]; 0 when unknown. */
int pc_capture_source_size(pc_capture *cap, int32_t *wh);
/* Switches a file or URL source whose frames are stored as JPEG (MJPEG) to
 * passthrough: pc_capture_read_jpeg then hands out each frame's JPEG bytes
 * as stored, with no decode and re-encode. Returns 1 when switched, 0 when
 * the source is not MJPEG (nothing changes), or PC_ERR. */
int pc_capture_passthrough(pc_capture *cap);
/* Reads the next frame's JPEG bytes (passthrough mode) into out (cap
 * bytes), storing the size in *len. PC_END at the end of the source;
 * PC_ERR_SPACE with the size needed in *len (the next call hands out the
 * same frame, so a caller that grows its buffer loses nothing). */
int pc_capture_read_jpeg(pc_capture *cap, uint8_t *out, uint32_t cap_bytes,
                         uint32_t *len);
/* Seeks a file source back to its first frame. */
int pc_capture_rewind(pc_capture *cap);
/* Sets the text the test pattern draws large in every frame (a copy is
 * kept: at most PC_LABEL_MAX bytes, anything but printable ASCII drawn as
 * '?'; NULL or "" draws none). Other sources ignore it. */
int pc_capture_set_label(pc_capture *cap, const char *label);
const char *pc_capture_error(const pc_capture *cap);
/* Scales src into dst at width x height (1..PC_MAX_EDGE each, at most
 * PC_MAX_PIXELS): area averaging when shrinking, bilinear when enlarging;
 * dst's pixel buffer is reused when its size is unchanged. In
 * libpeercam_capture, with the capture that makes the frames. PC_ERR_ARG
 * for a NULL or empty src, src == dst, or a size out of range; PC_ERR when
 * OpenCV fails (out of memory). Frames keep no message. */
int pc_frame_resize(const pc_frame *src, pc_frame *dst, int width, int height);

/* --- JPEG encoder ------------------------------------------------------ */
pc_encoder *pc_encoder_new(void);
void pc_encoder_free(pc_encoder *enc);
/* Encodes frame at quality 1..100 into out (cap bytes); stores the encoded
 * size in *len. On PC_ERR_SPACE *len holds the size needed. */
int pc_encode(pc_encoder *enc, const pc_frame *frame, int quality, uint8_t *out,
              uint32_t cap, uint32_t *len);
/* Re-encodes a YCbCr or greyscale JPEG image at another quality without
 * decoding it to pixels (its DCT coefficients are requantized); for JPEG
 * sources. Corrupt or truncated data is an error. */
int pc_encode_jpeg(pc_encoder *enc, const uint8_t *jpeg, uint32_t jpeg_len,
                   int quality, uint8_t *out, uint32_t cap, uint32_t *len);
const char *pc_encoder_error(const pc_encoder *enc);

/* --- JPEG decoder ------------------------------------------------------ */
pc_decoder *pc_decoder_new(void);
void pc_decoder_free(pc_decoder *dec);
/* Decodes len bytes of JPEG into out (reusing its pixel buffer). Corrupt or
 * truncated data is an error, as is an image over PC_MAX_EDGE/PC_MAX_PIXELS. */
int pc_decode(pc_decoder *dec, const uint8_t *data, uint32_t len, pc_frame *out);
/* pc_decode at 1/denominator of the image's size (denominator 1, 2, 4 or
 * 8; each side rounded up), which skips most of the work of a full decode.
 * The size limit applies to the image's own size. */
int pc_decode_scaled(pc_decoder *dec, const uint8_t *data, uint32_t len,
                     int denominator, pc_frame *out);
const char *pc_decoder_error(const pc_decoder *dec);

/* --- window (main thread only) ----------------------------------------- */
/* Opens a resizable window with a unique id and a title. NULL on failure
 * with the reason in err. */
pc_window *pc_window_open(const char *id, const char *title, char *err,
                          uint32_t errlen);
void pc_window_close(pc_window *win);
int pc_window_show(pc_window *win, const pc_frame *frame);
/* Resizes the window's image area and moves the window (pixels). */
int pc_window_resize(pc_window *win, int width, int height);
int pc_window_move(pc_window *win, int x, int y);
/* 1 while the window is visible, 0 once the user has closed it. */
int pc_window_visible(pc_window *win);
/* Runs the GUI event loop for up to delay_ms (>= 1) and returns the key
 * pressed, or -1. */
int pc_window_poll_key(pc_window *win, int delay_ms);
/* Sets the title bar text. */
int pc_window_set_title(pc_window *win, const char *title);
/* Switches the window to fullscreen (on != 0) or back to normal. The
 * change takes effect as the GUI event loop runs. */
int pc_window_set_fullscreen(pc_window *win, int on);
/* 1 while the window is fullscreen, 0 when not, or PC_ERR. */
int pc_window_fullscreen(pc_window *win);
/* Writes the image area's x, y, width and height (screen pixels) to
 * xywh[0..3]. */
int pc_window_image_rect(pc_window *win, int32_t *xywh);
const char *pc_window_error(const pc_window *win);

/* --- drawing into frames (libpeercam_window) ---------------------------- */
/* A canvas keeps the error message and scratch memory of drawing calls;
 * one call in flight per canvas, any thread. Colours are packed 0xRRGGBB.
 * Rectangles are x, y, w, h in pixels, clipped to the frame: a negative w
 * or h is an argument error, an empty or off-frame one draws nothing.
 * Drawing into an empty frame is an argument error. */
pc_canvas *pc_canvas_new(void);
void pc_canvas_free(pc_canvas *canvas);
/* Makes frame width x height (its pixel buffer reused when the size is
 * unchanged) and fills it with rgb. */
int pc_draw_fill(pc_canvas *canvas, pc_frame *frame, int width, int height,
                 uint32_t rgb);
/* Blends a rectangle towards rgb: pixel = pixel*(1-alpha) + rgb*alpha,
 * 0 <= alpha <= 1. */
int pc_draw_shade(pc_canvas *canvas, pc_frame *frame, int x, int y, int w,
                  int h, uint32_t rgb, double alpha);
/* Draws a rectangle's outline, thickness pixels wide inside the rectangle,
 * or fills it when thickness <= 0. */
int pc_draw_rect(pc_canvas *canvas, pc_frame *frame, int x, int y, int w,
                 int h, uint32_t rgb, int thickness);
/* Draws one line of text (Hershey simplex, anti-aliased, strokes thickness
 * pixels wide) in a box line_height pixels tall whose top-left corner is at
 * x, y: capitals and descenders take about 7/8 of it, the rest is room for
 * brackets above capitals. Bytes other than printable ASCII are drawn as
 * '?'. Writes the box's width and height to wh[0], wh[1]: every pixel drawn
 * lies inside it. */
int pc_draw_text(pc_canvas *canvas, pc_frame *frame, const char *text, int x,
                 int y, int line_height, uint32_t rgb, int thickness,
                 int32_t *wh);
/* The box pc_draw_text would draw, without drawing: wh[0], wh[1]. */
int pc_text_size(pc_canvas *canvas, const char *text, int line_height,
                 int thickness, int32_t *wh);
/* Scales src into the rectangle x, y, w, h of dst (area averaging when
 * shrinking), mirrored left to right when mirror != 0, then draws a
 * border-pixel outline of rgb inside the rectangle (border 0: none). The
 * rectangle may reach past dst's edges. src and dst must differ. */
int pc_draw_overlay(pc_canvas *canvas, pc_frame *dst, const pc_frame *src,
                    int x, int y, int w, int h, int mirror, int border,
                    uint32_t rgb);
const char *pc_canvas_error(const pc_canvas *canvas);

/* --- recording: JPEG frames copied into Matroska (libpeercam_record) ---- */
int pc_record_abi_version(void);
/* Most tracks a recording holds (pc_recorder_open). */
#define PC_RECORD_MAX_TRACKS 4
/* Creates path (truncating it) and writes a Matroska header declaring
 * `tracks` V_MJPEG video tracks, numbered from 0; sizes[2*i], sizes[2*i+1]
 * is track i's width and height, 0 when unknown. Every packet is flushed
 * to the file as one cluster, so a killed recorder leaves a readable file.
 * NULL on failure, with the reason in err. */
pc_recorder *pc_recorder_open(const char *path, int tracks,
                              const int32_t *sizes, char *err,
                              uint32_t errlen);
/* Writes one JPEG as it is (no re-encoding) to track, stamped pts_us
 * microseconds from the start (kept to the millisecond); a stamp less than
 * 2 ms after the track's previous one is moved to 2 ms after it (the muxer
 * needs rising stamps, and the tracks declare a 2 ms frame time, the finest
 * their variable rate shows). The bytes are only read during the call. */
int pc_recorder_write(pc_recorder *rec, int track, const uint8_t *data,
                      uint32_t len, int64_t pts_us);
/* Writes the index and closes the file; later writes fail. */
int pc_recorder_finish(pc_recorder *rec);
/* Closes the file if still open (without the index) and frees rec; NULL is
 * ignored. */
void pc_recorder_free(pc_recorder *rec);
const char *pc_recorder_error(const pc_recorder *rec);

/* --- pictures as terminal output (libpeercam_chafa, with libchafa) ----- */
int pc_chafa_abi_version(void);
/* What a terminal can show (pc_term_capabilities), as bits. */
#define PC_TERM_CAP_KITTY 1    /* kitty graphics protocol */
#define PC_TERM_CAP_SIXEL 2    /* sixel graphics */
#define PC_TERM_CAP_DIRECT 4   /* 24-bit colour */
#define PC_TERM_CAP_256 8      /* 256 colours */
#define PC_TERM_CAP_16 16      /* 16 colours */
/* How pictures are drawn (pc_term_configure). */
#define PC_TERM_SYMBOLS 0      /* Unicode symbols in colour */
#define PC_TERM_SIXEL 1
#define PC_TERM_KITTY 2
/* The colours of symbols. */
#define PC_TERM_COLORS_16 0
#define PC_TERM_COLORS_256 1
#define PC_TERM_COLORS_DIRECT 2
/* Detects the terminal with chafa's terminal database from env, a block of
 * NUL-terminated "NAME=value" strings ended by an empty string. NULL on
 * failure with the reason in err. One call in flight per handle. */
pc_term *pc_term_new(const char *env, char *err, uint32_t errlen);
void pc_term_free(pc_term *term);
/* The detected terminal's PC_TERM_CAP_* bits. */
int pc_term_capabilities(const pc_term *term);
/* Sets the drawing mode, the picture's size in character cells (1..4096
 * each) and a cell's size in pixels (1..1024; sixel and kitty images are
 * drawn at cols*cell_width x rows*cell_height pixels); the canvas is made
 * again only when one of them changes. */
int pc_term_configure(pc_term *term, int graphics, int colors, int cols,
                      int rows, int cell_width, int cell_height);
/* Draws width x height packed BGR pixels, scaled to the configured cells,
 * and writes the terminal output into out (cap bytes) with each row break
 * replaced by row_break (e.g. "\r\n" and a cursor move); stores its size
 * in *len. The output starts at the cursor and sets colours as it goes;
 * PC_ERR_SPACE with the size needed in *len when cap is too small. */
int pc_term_draw(pc_term *term, const uint8_t *bgr, int width, int height,
                 const char *row_break, uint8_t *out, uint32_t cap,
                 uint32_t *len);
const char *pc_term_error(const pc_term *term);
/* Writes the terminal on fd's size to size[0..3]: columns, rows, and its
 * width and height in pixels (0 when the terminal does not say). PC_ERR
 * when fd is not a terminal. */
int pc_tty_size(int fd, int32_t *size);

#ifdef __cplusplus
}
#endif

#endif /* PEERCAM_SHIM_H */
