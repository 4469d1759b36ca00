// JPEG to JPEG at another quality without leaving the DCT domain: the
// source's coefficients are requantized, so neither an inverse nor a forward
// DCT runs (see transcode.cpp). Internal to the shim; pc_encode_jpeg is the
// C ABI over it.
#pragma once

#include <cstdint>
#include <string>

struct pc_transcoder;

// A transcoder, or NULL when out of memory.
pc_transcoder *pc_transcoder_new();
void pc_transcoder_free(pc_transcoder *t);

// Re-encodes jpeg[0..len) at quality (1-100) into out[0..cap): PC_OK with
// *out_len the length; PC_ERR_SPACE with *out_len the size needed; PC_ERR
// with `error` set when the source cannot be read. Never throws.
int pc_transcode(pc_transcoder *t, const uint8_t *jpeg, uint32_t len,
                 int quality, uint8_t *out, uint32_t cap, uint32_t *out_len,
                 std::string &error);
