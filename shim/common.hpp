// Shared internals of the shim: the handle base and the exception guard.
#pragma once

#include <cstring>
#include <exception>
#include <string>

#include <opencv2/core.hpp>

#include "peercam.h"

// Every handle keeps its last error message, so it outlives the call that
// set it even when that call ran on one of Deno's pool threads.
struct pc_object {
  std::string error;
};

struct pc_frame {
  cv::Mat mat;
};

// Copies msg into a caller-supplied buffer, always NUL-terminated.
inline void pc_write_error(char *err, uint32_t errlen, const std::string &msg) {
  if (err == nullptr || errlen == 0) return;
  size_t n = msg.size() < errlen - 1 ? msg.size() : errlen - 1;
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

// cv::Exception::what() repeats file and line; err is the plain reason.
inline std::string pc_describe(const cv::Exception &e) {
  return e.err.empty() ? std::string(e.what()) : e.err;
}

// Runs body, turning any C++ exception into PC_ERR with the message stored
// on obj. `body` returns the status code on success.
template <typename F>
int pc_guard(pc_object *obj, F body) {
  try {
    return body();
  } catch (const cv::Exception &e) {
    obj->error = pc_describe(e);
  } catch (const std::exception &e) {
    obj->error = e.what();
  } catch (...) {
    obj->error = "unknown C++ exception";
  }
  return PC_ERR;
}

// The same for calls that create a handle: exceptions become NULL.
template <typename T, typename F>
T *pc_guard_new(char *err, uint32_t errlen, F body) {
  try {
    return body();
  } catch (const cv::Exception &e) {
    pc_write_error(err, errlen, pc_describe(e));
  } catch (const std::exception &e) {
    pc_write_error(err, errlen, e.what());
  } catch (...) {
    pc_write_error(err, errlen, "unknown C++ exception");
  }
  return nullptr;
}

// Reads the error of a handle that may be NULL.
inline const char *pc_error_of(const pc_object *obj) {
  return obj == nullptr ? "null handle" : obj->error.c_str();
}
