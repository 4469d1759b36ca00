// libpeercam_record under the sanitizers (tests/record_asan_test.ts):
// open/write/finish/free cycles, recordings freed without finishing (as a
// killed one), stamps going back, hostile arguments, and files that cannot
// be created or written (/dev/full).
//
//   record_cycles FRAME.jpg DIR
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../shim/peercam.h"

#define CHECK(cond)                                                  \
  do {                                                               \
    if (!(cond)) {                                                   \
      std::fprintf(stderr, "record_cycles: %d: %s\n", __LINE__, #cond); \
      return 1;                                                      \
    }                                                                \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> jpeg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(!jpeg.empty());
  const std::string dir = argv[2];
  const uint8_t garbage[100] = {1, 2, 3};
  const auto len = static_cast<uint32_t>(jpeg.size());
  char err[256];
  int32_t sizes[4] = {320, 240, 320, 240};

  for (int cycle = 0; cycle < 12; cycle++) {
    const std::string path = dir + "/c" + std::to_string(cycle) + ".mkv";
    pc_recorder *rec = pc_recorder_open(path.c_str(), 2, sizes, err, sizeof err);
    CHECK(rec != nullptr);
    for (int i = 0; i < 30; i++) {
      CHECK(pc_recorder_write(rec, i % 2, jpeg.data(), len, i * 16000) == PC_OK);
    }
    CHECK(pc_recorder_write(rec, 0, jpeg.data(), len, 0) == PC_OK);  // back in time
    CHECK(pc_recorder_write(rec, 1, garbage, sizeof garbage, 600000) == PC_OK);  // copied as is
    CHECK(pc_recorder_write(rec, 2, jpeg.data(), len, 0) == PC_ERR_ARG);
    CHECK(pc_recorder_write(rec, -1, jpeg.data(), len, 0) == PC_ERR_ARG);
    CHECK(pc_recorder_write(rec, 0, nullptr, len, 0) == PC_ERR_ARG);
    CHECK(pc_recorder_write(rec, 0, jpeg.data(), 0, 0) == PC_ERR_ARG);
    CHECK(pc_recorder_write(rec, 0, jpeg.data(), len, -1) == PC_ERR_ARG);
    CHECK(std::strcmp(pc_recorder_error(rec), "invalid argument") == 0);
    if (cycle % 2 == 0) {
      CHECK(pc_recorder_finish(rec) == PC_OK);
      CHECK(pc_recorder_finish(rec) == PC_ERR);
      CHECK(pc_recorder_write(rec, 0, jpeg.data(), len, 700000) == PC_ERR);
    }
    pc_recorder_free(rec);  // odd cycles: never finished, as when killed
  }
  CHECK(pc_recorder_write(nullptr, 0, jpeg.data(), len, 0) == PC_ERR_ARG);
  CHECK(pc_recorder_finish(nullptr) == PC_ERR_ARG);
  CHECK(std::strcmp(pc_recorder_error(nullptr), "null handle") == 0);
  pc_recorder_free(nullptr);

  const std::string ok = dir + "/ok.mkv";
  CHECK(pc_recorder_open(nullptr, 1, sizes, err, sizeof err) == nullptr);
  CHECK(pc_recorder_open("", 1, sizes, err, sizeof err) == nullptr);
  CHECK(pc_recorder_open(ok.c_str(), 0, sizes, err, sizeof err) == nullptr);
  CHECK(pc_recorder_open(ok.c_str(), PC_RECORD_MAX_TRACKS + 1, sizes, err, sizeof err) == nullptr);
  CHECK(pc_recorder_open(ok.c_str(), 1, nullptr, err, sizeof err) == nullptr);
  const std::string missing = dir + "/missing/x.mkv";
  CHECK(pc_recorder_open(missing.c_str(), 1, sizes, nullptr, 0) == nullptr);  // no error buffer
  CHECK(pc_recorder_open(missing.c_str(), 1, sizes, err, sizeof err) == nullptr);
  CHECK(std::strstr(err, "cannot create the file") != nullptr);
  int32_t unknown[2] = {0, 0};
  CHECK(pc_recorder_open(ok.c_str(), 1, unknown, err, 8) == nullptr);  // short error buffer
  CHECK(std::strlen(err) == 7);
  CHECK(pc_recorder_open("/dev/full", 1, sizes, err, sizeof err) == nullptr);
  CHECK(std::strstr(err, "No space left on device") != nullptr);
  std::puts("record_cycles: ok");
  return 0;
}
