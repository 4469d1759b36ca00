// JPEG to JPEG at another quality in the DCT domain, with libjpeg's
// transcoding API (the one jpegtran uses): the source's entropy-coded
// coefficients are decoded, requantized to the new tables, and entropy-coded
// again. Neither an inverse nor a forward DCT runs, and nothing leaves the
// source's colour space or subsampling, so at 1280x720 this costs 2.4 ms
// against 3.1 ms for a decode to YUV planes and a compress of them (see
// docs/PERFORMANCE.md).
//
// Two things keep the frame loop free of allocations: the coefficient
// arrays libjpeg asks its memory manager for on every image are served from
// buffers this transcoder keeps (the manager's virtual-array methods are
// replaced), and the output is written straight into the caller's buffer.
//
// libjpeg reports errors by calling error_exit, which must not return; it
// longjmps back to pc_transcode. No C++ object with a destructor lives in a
// frame that a longjmp skips, and C++ exceptions never cross libjpeg's C
// frames: the callbacks below catch them and report through libjpeg instead.
#include "transcode.hpp"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>
// PC_NO_AVX2 leaves the AVX2 path out (the ASan test builds both).
#if defined(__x86_64__) && !defined(PC_NO_AVX2)
#define PC_AVX2 1
#include <immintrin.h>
#endif

#include "peercam.h"

namespace {

// The largest coefficient magnitude baseline Huffman coding can carry
// (MAX_COEF_BITS is 10): requantizing to finer tables must stay inside it.
constexpr int kMaxCoef = 1023;

struct error_mgr {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// One component's coefficients, reused from frame to frame.
struct coef_array {
  std::vector<JCOEF> coefs;  // width * height blocks of 64
  std::vector<JBLOCKROW> rows;
  JDIMENSION width = 0;  // in blocks
  JDIMENSION height = 0;
};

// Writes the compressed image into the caller's buffer; bytes past its end
// go to a scratch buffer and are only counted, so a too-small buffer still
// yields the size needed.
struct dest_mgr {
  jpeg_destination_mgr pub;
  JOCTET *out;
  size_t cap;
  size_t current;  // size of the buffer being filled (out or scratch)
  size_t total;    // bytes in buffers already filled
  JOCTET scratch[4096];
};

}  // namespace

struct pc_transcoder {
  jpeg_decompress_struct in;
  jpeg_compress_struct out;
  error_mgr err;
  dest_mgr dest;
  coef_array arrays[MAX_COMPONENTS];
  int requested = 0;
  bool out_of_memory = false;
  void (*realize_default)(j_common_ptr) = nullptr;
};

namespace {

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto *err = reinterpret_cast<error_mgr *>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings mean corrupt or truncated data: a damaged frame is an error, as
// with TurboJPEG's TJFLAG_STOPONWARNING. Trace messages are dropped.
void on_message(j_common_ptr cinfo, int level) {
  if (level < 0) on_error(cinfo);
}

pc_transcoder *owner(j_common_ptr cinfo) {
  return static_cast<pc_transcoder *>(cinfo->client_data);
}

jvirt_barray_ptr request_barray(j_common_ptr cinfo, int, boolean,
                                JDIMENSION blocksperrow, JDIMENSION numrows,
                                JDIMENSION) {
  pc_transcoder *t = owner(cinfo);
  if (t->requested >= MAX_COMPONENTS) ERREXIT(cinfo, JERR_VIRTUAL_BUG);
  coef_array &a = t->arrays[t->requested++];
  a.width = blocksperrow;
  a.height = numrows;
  return reinterpret_cast<jvirt_barray_ptr>(&a);
}

// Grows the kept buffers to this image's arrays (never shrinking them) and
// zeroes them: the Huffman decoder writes only nonzero coefficients.
void realize_arrays(j_common_ptr cinfo) {
  pc_transcoder *t = owner(cinfo);
  t->realize_default(cinfo);
  bool failed = false;
  for (int i = 0; i < t->requested && !failed; i++) {
    coef_array &a = t->arrays[i];
    const size_t n = static_cast<size_t>(a.width) * a.height * DCTSIZE2;
    try {
      if (a.coefs.size() < n) a.coefs.resize(n);
      if (a.rows.size() < a.height) a.rows.resize(a.height);
    } catch (...) {
      failed = true;
      break;
    }
    std::memset(a.coefs.data(), 0, n * sizeof(JCOEF));
    for (JDIMENSION r = 0; r < a.height; r++) {
      a.rows[r] = reinterpret_cast<JBLOCKROW>(a.coefs.data() +
                                              static_cast<size_t>(r) * a.width * DCTSIZE2);
    }
  }
  if (failed) {
    t->out_of_memory = true;
    ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
  }
}

JBLOCKARRAY access_barray(j_common_ptr cinfo, jvirt_barray_ptr ptr,
                          JDIMENSION start_row, JDIMENSION num_rows, boolean) {
  auto *a = reinterpret_cast<coef_array *>(ptr);
  if (start_row + num_rows > a->height) ERREXIT(cinfo, JERR_BAD_VIRTUAL_ACCESS);
  return a->rows.data() + start_row;
}

void dest_init(j_compress_ptr cinfo) {
  auto *d = reinterpret_cast<dest_mgr *>(cinfo->dest);
  d->pub.next_output_byte = d->out;
  d->pub.free_in_buffer = d->cap;
  d->current = d->cap;
  d->total = 0;
}

boolean dest_empty(j_compress_ptr cinfo) {
  auto *d = reinterpret_cast<dest_mgr *>(cinfo->dest);
  d->total += d->current;  // the buffer being filled is full
  d->pub.next_output_byte = d->scratch;
  d->pub.free_in_buffer = sizeof d->scratch;
  d->current = sizeof d->scratch;
  return TRUE;
}

void dest_term(j_compress_ptr cinfo) {
  auto *d = reinterpret_cast<dest_mgr *>(cinfo->dest);
  d->total += d->current - d->pub.free_in_buffer;
}

// Requantizes one component: each coefficient becomes round(v * from / to),
// rounding half away from zero as libjpeg's quantizer does.
//
// With AVX2 this runs in 16 bits, 16 coefficients per instruction: |v| is
// shifted left by `shift` and multiplied by from / to in (15 - shift)-bit
// fixed point with rounding (vpmulhrsw), and v's sign is put back. `shift`
// is the least that keeps every factor below 2^shift; clamping |v| to
// 32767 >> shift never touches valid data, whose |v| * from stays within
// 4096. Elsewhere the general path below works in 32 bits.
void requantize_general(coef_array &a, const int32_t *from, const int32_t *to);

#if PC_AVX2
__attribute__((target("avx2"))) void requantize_avx2(coef_array &a, const int16_t *factor,
                                                     int shift) {
  __m256i f[4];
  for (int i = 0; i < 4; i++) {
    f[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(factor + 16 * i));
  }
  const __m128i by = _mm_cvtsi32_si128(shift);
  const __m256i in_max = _mm256_set1_epi16(static_cast<int16_t>(32767 >> shift));
  const __m256i out_max = _mm256_set1_epi16(kMaxCoef);
  auto *c = reinterpret_cast<__m256i *>(a.coefs.data());
  const size_t vectors = static_cast<size_t>(a.width) * a.height * 4;
  for (size_t i = 0; i < vectors; i++) {
    const __m256i v = _mm256_loadu_si256(c + i);
    const __m256i mag = _mm256_sll_epi16(_mm256_min_epu16(_mm256_abs_epi16(v), in_max), by);
    const __m256i r = _mm256_min_epi16(_mm256_mulhrs_epi16(mag, f[i & 3]), out_max);
    _mm256_storeu_si256(c + i, _mm256_sign_epi16(r, v));
  }
}
#endif

void requantize(coef_array &a, const JQUANT_TBL &from, const JQUANT_TBL &to) {
  int32_t q0[DCTSIZE2], q1[DCTSIZE2];
  int shift = 0;
  for (int k = 0; k < DCTSIZE2; k++) {
    q0[k] = from.quantval[k];
    q1[k] = to.quantval[k] == 0 ? 1 : to.quantval[k];
    while (q0[k] >= (q1[k] << shift)) shift++;
  }
#if PC_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2 && shift <= 8) {
    alignas(32) int16_t factor[DCTSIZE2];
    for (int k = 0; k < DCTSIZE2; k++) {
      factor[k] = static_cast<int16_t>(((q0[k] << (15 - shift)) + q1[k] / 2) / q1[k]);
    }
    return requantize_avx2(a, factor, shift);
  }
#endif
  requantize_general(a, q0, q1);
}

// Straight-line 32-bit integer arithmetic that the compiler vectorizes.
void requantize_general(
    coef_array &a, const int32_t *from, const int32_t *to) {
  int32_t mul[DCTSIZE2], lim[DCTSIZE2];
  for (int k = 0; k < DCTSIZE2; k++) {
    // Valid 8-bit data never dequantizes past +-4096, so larger inputs are
    // clamped there first, which also keeps v * mul inside 32 bits.
    lim[k] = from[k] == 0 ? 0 : 4096 / from[k];
    mul[k] = static_cast<int32_t>((static_cast<int64_t>(from[k]) * 65536 + to[k] / 2) / to[k]);
  }
  JCOEF *c = a.coefs.data();
  const size_t blocks = static_cast<size_t>(a.width) * a.height;
  for (size_t b = 0; b < blocks; b++, c += DCTSIZE2) {
    for (int k = 0; k < DCTSIZE2; k++) {
      int32_t v = c[k];
      v = v < -lim[k] ? -lim[k] : v > lim[k] ? lim[k] : v;
      const int32_t p = v * mul[k];
      const int32_t s = p >> 31;  // 0 or -1
      int32_t r = (((p ^ s) - s) + 32768) >> 16;
      r = r > kMaxCoef ? kMaxCoef : r;
      c[k] = static_cast<JCOEF>((r ^ s) - s);
    }
  }
}

// The body of pc_transcode, between setjmp and the libjpeg calls that may
// longjmp back: only plain C data here.
int run(pc_transcoder *t, const uint8_t *jpeg, uint32_t len, int quality,
        uint8_t *out, uint32_t cap, uint32_t *out_len, const char **problem) {
  jpeg_decompress_struct *in = &t->in;
  jpeg_compress_struct *dst = &t->out;
  t->requested = 0;
  jpeg_mem_src(in, jpeg, len);
  jpeg_read_header(in, TRUE);
  if (in->image_width > PC_MAX_EDGE || in->image_height > PC_MAX_EDGE ||
      static_cast<long>(in->image_width) * in->image_height > PC_MAX_PIXELS) {
    *problem = "the source frame exceeds the size limit";
    return PC_ERR;
  }
  const bool colour = in->jpeg_color_space == JCS_YCbCr && in->num_components == 3;
  const bool grey = in->jpeg_color_space == JCS_GRAYSCALE && in->num_components == 1;
  if ((!colour && !grey) || in->data_precision != 8) {
    *problem = "the source frame is not an 8-bit YCbCr or greyscale JPEG image";
    return PC_ERR;
  }
  jvirt_barray_ptr *coefs = jpeg_read_coefficients(in);

  jpeg_copy_critical_parameters(in, dst);
  for (int i = 0; i < dst->num_components; i++) dst->comp_info[i].quant_tbl_no = i == 0 ? 0 : 1;
  jpeg_set_quality(dst, quality, TRUE);
  for (int i = 0; i < in->num_components; i++) {
    const JQUANT_TBL *from = in->comp_info[i].quant_table;
    const JQUANT_TBL *to = dst->quant_tbl_ptrs[dst->comp_info[i].quant_tbl_no];
    if (from == nullptr || to == nullptr) ERREXIT1(in, JERR_NO_QUANT_TABLE, i);
    requantize(*reinterpret_cast<coef_array *>(coefs[i]), *from, *to);
  }

  t->dest.out = out;
  t->dest.cap = cap;
  jpeg_write_coefficients(dst, coefs);
  jpeg_finish_compress(dst);
  jpeg_finish_decompress(in);
  *out_len = static_cast<uint32_t>(t->dest.total);
  return t->dest.total > cap ? PC_ERR_SPACE : PC_OK;
}

}  // namespace

pc_transcoder *pc_transcoder_new() {
  auto *t = new (std::nothrow) pc_transcoder();
  if (t == nullptr) return nullptr;
  t->in.err = jpeg_std_error(&t->err.pub);
  t->out.err = &t->err.pub;
  t->err.pub.error_exit = on_error;
  t->err.pub.emit_message = on_message;
  if (setjmp(t->err.jump) != 0) {  // out of memory while creating
    jpeg_destroy_decompress(&t->in);
    jpeg_destroy_compress(&t->out);
    delete t;
    return nullptr;
  }
  jpeg_create_decompress(&t->in);
  jpeg_create_compress(&t->out);
  t->in.client_data = t;
  t->out.client_data = t;
  t->realize_default = t->in.mem->realize_virt_arrays;
  t->in.mem->request_virt_barray = request_barray;
  t->in.mem->realize_virt_arrays = realize_arrays;
  t->in.mem->access_virt_barray = access_barray;
  t->out.mem->access_virt_barray = access_barray;  // the arrays are ours
  t->dest.pub.init_destination = dest_init;
  t->dest.pub.empty_output_buffer = dest_empty;
  t->dest.pub.term_destination = dest_term;
  t->out.dest = &t->dest.pub;
  return t;
}

void pc_transcoder_free(pc_transcoder *t) {
  if (t == nullptr) return;
  jpeg_destroy_decompress(&t->in);
  jpeg_destroy_compress(&t->out);
  delete t;
}

int pc_transcode(pc_transcoder *t, const uint8_t *jpeg, uint32_t len,
                 int quality, uint8_t *out, uint32_t cap, uint32_t *out_len,
                 std::string &error) {
  const char *problem = nullptr;
  int code = PC_ERR;
  t->out_of_memory = false;
  if (setjmp(t->err.jump) == 0) {
    code = run(t, jpeg, len, quality, out, cap, out_len, &problem);
  } else {
    problem = t->err.message;
  }
  if (code == PC_ERR) {
    // Either object may be mid-image; both go back to their start state.
    jpeg_abort_decompress(&t->in);
    jpeg_abort_compress(&t->out);
    try {
      error = t->out_of_memory ? std::string("out of memory")
                               : std::string("cannot re-encode the source frame: ") + problem;
    } catch (...) {
      // Keep the previous message rather than throw across the C ABI.
    }
  }
  return code;
}
