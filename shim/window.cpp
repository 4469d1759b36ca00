// Display windows through OpenCV's highgui. Main thread only (Qt).
#include <new>

#include <opencv2/highgui.hpp>

#include "common.hpp"

struct pc_window : pc_object {
  std::string id;
};

extern "C" {

int pc_window_abi_version(void) { return PC_ABI_VERSION; }

pc_window *pc_window_open(const char *id, const char *title, char *err,
                          uint32_t errlen) {
  if (id == nullptr || *id == '\0') {
    pc_write_error(err, errlen, "invalid argument");
    return nullptr;
  }
  return pc_guard_new<pc_window>(err, errlen, [&]() -> pc_window * {
    auto *win = new pc_window();
    win->id = id;
    try {
      cv::namedWindow(win->id, cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO |
                                   cv::WINDOW_GUI_NORMAL);
      if (title != nullptr && *title != '\0') cv::setWindowTitle(win->id, title);
    } catch (...) {
      delete win;
      throw;
    }
    return win;
  });
}

void pc_window_close(pc_window *win) {
  if (win == nullptr) return;
  try {
    cv::destroyWindow(win->id);
    cv::waitKey(1);  // let the GUI loop process the close
  } catch (...) {
  }
  delete win;
}

int pc_window_show(pc_window *win, const pc_frame *frame) {
  if (win == nullptr || frame == nullptr) return PC_ERR_ARG;
  return pc_guard(win, [&]() {
    if (frame->mat.empty()) {
      win->error = "frame is empty";
      return PC_ERR_ARG;
    }
    cv::imshow(win->id, frame->mat);
    return PC_OK;
  });
}

int pc_window_resize(pc_window *win, int width, int height) {
  if (win == nullptr || width <= 0 || height <= 0) return PC_ERR_ARG;
  return pc_guard(win, [&]() {
    cv::resizeWindow(win->id, width, height);
    return PC_OK;
  });
}

int pc_window_move(pc_window *win, int x, int y) {
  if (win == nullptr) return PC_ERR_ARG;
  return pc_guard(win, [&]() {
    cv::moveWindow(win->id, x, y);
    return PC_OK;
  });
}

int pc_window_visible(pc_window *win) {
  if (win == nullptr) return 0;
  try {
    return cv::getWindowProperty(win->id, cv::WND_PROP_VISIBLE) >= 1.0 ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int pc_window_poll_key(pc_window *win, int delay_ms) {
  if (win == nullptr) return PC_ERR_ARG;
  try {
    return cv::waitKey(delay_ms < 1 ? 1 : delay_ms);
  } catch (const cv::Exception &e) {
    win->error = pc_describe(e);
  } catch (...) {
    win->error = "unknown C++ exception";
  }
  return -1;
}

int pc_window_set_title(pc_window *win, const char *title) {
  if (win == nullptr) return PC_ERR_ARG;
  if (title == nullptr) {
    win->error = "invalid argument";
    return PC_ERR_ARG;
  }
  return pc_guard(win, [&]() {
    cv::setWindowTitle(win->id, title);
    return PC_OK;
  });
}

int pc_window_set_fullscreen(pc_window *win, int on) {
  if (win == nullptr) return PC_ERR_ARG;
  return pc_guard(win, [&]() {
    cv::setWindowProperty(win->id, cv::WND_PROP_FULLSCREEN,
                          on ? cv::WINDOW_FULLSCREEN : cv::WINDOW_NORMAL);
    return PC_OK;
  });
}

int pc_window_fullscreen(pc_window *win) {
  if (win == nullptr) return PC_ERR_ARG;
  return pc_guard(win, [&]() {
    const double mode = cv::getWindowProperty(win->id, cv::WND_PROP_FULLSCREEN);
    if (mode < 0) {
      win->error = "the window is gone";
      return PC_ERR;
    }
    return mode == cv::WINDOW_FULLSCREEN ? 1 : 0;
  });
}

int pc_window_image_rect(pc_window *win, int32_t *xywh) {
  if (win == nullptr) return PC_ERR_ARG;
  if (xywh == nullptr) {
    win->error = "invalid argument";
    return PC_ERR_ARG;
  }
  return pc_guard(win, [&]() {
    const cv::Rect r = cv::getWindowImageRect(win->id);
    xywh[0] = r.x;
    xywh[1] = r.y;
    xywh[2] = r.width;
    xywh[3] = r.height;
    return PC_OK;
  });
}

const char *pc_window_error(const pc_window *win) { return pc_error_of(win); }

}  // extern "C"
