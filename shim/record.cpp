// Recording: JPEG frames copied as they are into a Matroska file with
// libavformat (V_MJPEG tracks, millisecond stamps). Every packet is written
// out as its own cluster and flushed, so the file on disk is readable up to
// the last packet however the process ends.
#include <string>

#include <unistd.h>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

#include "common.hpp"

// The least time between two frames of a track, in ms; closer stamps are
// moved apart. Frames are ~33 ms apart at 30 fps: this only ever moves a
// stamp that went back (the clock offset changed).
constexpr int PC_RECORD_MIN_GAP_MS = 2;

struct pc_recorder : pc_object {
  AVFormatContext *fmt = nullptr;
  AVPacket *pkt = nullptr;  // reused: points at the caller's bytes for each write
  int tracks = 0;
  int64_t last[PC_RECORD_MAX_TRACKS] = {};  // previous stamp per track, stream time base
  bool written[PC_RECORD_MAX_TRACKS] = {};
  bool open = false;  // the file is open and the header written
  std::string path;
  int64_t good = 0;  // file size after the last complete, flushed packet
};

namespace {

std::string av_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// Closes the file without the trailer (a failed or abandoned recording).
void close_file(pc_recorder *rec) {
  if (rec->fmt != nullptr && rec->fmt->pb != nullptr) avio_closep(&rec->fmt->pb);
  rec->open = false;
}

void release(pc_recorder *rec) {
  close_file(rec);
  avformat_free_context(rec->fmt);
  rec->fmt = nullptr;
  av_packet_free(&rec->pkt);
}

// A write failed (a full disk): close the file and cut off the part of a
// packet that reached it, so that it ends after the last whole packet.
int fail(pc_recorder *rec, int code) {
  rec->error = av_text(code);
  close_file(rec);
  if (truncate(rec->path.c_str(), rec->good) != 0 && rec->good > 0) {
    rec->error += " (the last frame is cut short)";
  }
  return PC_ERR;
}

// Writes the buffered cluster and hands it to the operating system.
int flush(pc_recorder *rec) {
  int ret = av_write_frame(rec->fmt, nullptr);
  if (ret < 0) return fail(rec, ret);
  avio_flush(rec->fmt->pb);
  if (rec->fmt->pb->error < 0) return fail(rec, rec->fmt->pb->error);
  rec->good = avio_tell(rec->fmt->pb);
  return PC_OK;
}

}  // namespace

extern "C" {

int pc_record_abi_version(void) { return PC_ABI_VERSION; }

pc_recorder *pc_recorder_open(const char *path, int tracks, const int32_t *sizes, char *err,
                              uint32_t errlen) {
  if (path == nullptr || path[0] == '\0' || sizes == nullptr || tracks < 1 ||
      tracks > PC_RECORD_MAX_TRACKS) {
    pc_write_error(err, errlen, "invalid argument");
    return nullptr;
  }
  return pc_guard_new<pc_recorder>(err, errlen, [&]() -> pc_recorder * {
    // peercam reports failures itself, in one line.
    av_log_set_level(AV_LOG_QUIET);
    auto *rec = new pc_recorder();
    rec->tracks = tracks;
    rec->path = path;
    // "file:" keeps a path with a colon from being read as a protocol.
    const std::string url = std::string("file:") + path;
    int ret = avformat_alloc_output_context2(&rec->fmt, nullptr, "matroska", url.c_str());
    if (ret >= 0 && (rec->pkt = av_packet_alloc()) == nullptr) ret = AVERROR(ENOMEM);
    for (int i = 0; ret >= 0 && i < tracks; i++) {
      AVStream *st = avformat_new_stream(rec->fmt, nullptr);
      if (st == nullptr) {
        ret = AVERROR(ENOMEM);
        break;
      }
      st->time_base = AVRational{1, 1000};
      // The frame rate varies: declare the finest one the stamps can show
      // (Matroska's DefaultDuration), so that tools which round times to the
      // declared rate (ffmpeg's CLI does) keep every frame's own time.
      st->avg_frame_rate = AVRational{1000, PC_RECORD_MIN_GAP_MS};
      st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
      st->codecpar->codec_id = AV_CODEC_ID_MJPEG;
      st->codecpar->width = sizes[2 * i] > 0 ? sizes[2 * i] : 0;
      st->codecpar->height = sizes[2 * i + 1] > 0 ? sizes[2 * i + 1] : 0;
    }
    const char *what = "cannot set up the muxer";
    if (ret >= 0) {
      what = "cannot create the file";
      ret = avio_open(&rec->fmt->pb, url.c_str(), AVIO_FLAG_WRITE);
    }
    if (ret >= 0) {
      what = "cannot write the header";
      AVDictionary *opts = nullptr;
      // A checksum per cluster would cost a pass over every frame.
      av_dict_set(&opts, "write_crc32", "0", 0);
      ret = avformat_write_header(rec->fmt, &opts);
      av_dict_free(&opts);
    }
    if (ret < 0) {
      pc_write_error(err, errlen, std::string(what) + ": " + av_text(ret));
      release(rec);
      delete rec;
      return nullptr;
    }
    rec->open = true;
    if (flush(rec) != PC_OK) {
      pc_write_error(err, errlen, "cannot write the header: " + rec->error);
      release(rec);
      delete rec;
      return nullptr;
    }
    return rec;
  });
}

int pc_recorder_write(pc_recorder *rec, int track, const uint8_t *data, uint32_t len,
                      int64_t pts_us) {
  if (rec == nullptr) return PC_ERR_ARG;
  if (data == nullptr || len == 0 || track < 0 || track >= rec->tracks || pts_us < 0) {
    rec->error = "invalid argument";
    return PC_ERR_ARG;
  }
  return pc_guard(rec, [&] {
    if (!rec->open) {
      rec->error = "the recording is closed";
      return PC_ERR;
    }
    AVStream *st = rec->fmt->streams[track];
    int64_t ts = av_rescale_q(pts_us, AVRational{1, 1000000}, st->time_base);
    const int64_t gap = av_rescale_q(PC_RECORD_MIN_GAP_MS, AVRational{1, 1000}, st->time_base);
    if (rec->written[track] && ts < rec->last[track] + gap) ts = rec->last[track] + gap;
    rec->last[track] = ts;
    rec->written[track] = true;
    AVPacket *pkt = rec->pkt;
    pkt->data = const_cast<uint8_t *>(data);
    pkt->size = static_cast<int>(len);
    pkt->stream_index = track;
    pkt->pts = ts;
    pkt->dts = ts;
    pkt->duration = 0;
    pkt->flags = AV_PKT_FLAG_KEY;  // every JPEG stands alone
    int ret = av_write_frame(rec->fmt, pkt);
    pkt->data = nullptr;
    pkt->size = 0;
    if (ret < 0) return fail(rec, ret);
    return flush(rec);
  });
}

int pc_recorder_finish(pc_recorder *rec) {
  if (rec == nullptr) return PC_ERR_ARG;
  return pc_guard(rec, [&] {
    if (!rec->open) {
      rec->error = "the recording is closed";
      return PC_ERR;
    }
    int ret = av_write_trailer(rec->fmt);
    int closed = avio_closep(&rec->fmt->pb);
    rec->open = false;
    if (ret < 0 || closed < 0) {
      rec->error = av_text(ret < 0 ? ret : closed);
      return PC_ERR;
    }
    return PC_OK;
  });
}

void pc_recorder_free(pc_recorder *rec) {
  if (rec == nullptr) return;
  release(rec);
  delete rec;
}

const char *pc_recorder_error(const pc_recorder *rec) { return pc_error_of(rec); }

}  // extern "C"
