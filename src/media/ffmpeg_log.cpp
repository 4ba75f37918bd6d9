// FFmpeg error codes -> vigil::Status, and FFmpeg's av_log output -> vigil's log facade.
#include <cstdio>
#include <mutex>

#include "media/ffmpeg_handles.h"
#include "vigil/log.h"

namespace vigil::video {
namespace {

void LogCallback(void* avcl, int level, const char* fmt, va_list args) {
  if (level > AV_LOG_WARNING) return;  // info/verbose/debug: dropped before formatting
  char line[1024];
  int print_prefix = 1;
  av_log_format_line2(avcl, level, fmt, args, line, sizeof(line), &print_prefix);
  std::string message = "ffmpeg: ";
  message += line;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  Log(level <= AV_LOG_ERROR ? LogLevel::kWarning : LogLevel::kDebug, message);
}

}  // namespace

std::string FFmpegErrorString(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(errnum, buf, sizeof(buf));
  return buf;
}

Status FFmpegError(int errnum, const std::string& what) {
  const std::string message = what + ": " + FFmpegErrorString(errnum);
  if (errnum == AVERROR_EXIT) return DeadlineExceededError(what + ": time budget exceeded");
  if (errnum == AVERROR(ENOENT)) return NotFoundError(message);
  if (errnum == AVERROR(ENOMEM)) return ResourceExhaustedError(message);
  if (errnum == AVERROR(EACCES) || errnum == AVERROR(EISDIR)) return InvalidArgumentError(message);
  if (errnum == AVERROR_DECODER_NOT_FOUND || errnum == AVERROR_DEMUXER_NOT_FOUND ||
      errnum == AVERROR_PATCHWELCOME) {
    return UnsupportedError(message);
  }
  if (errnum == AVERROR_INVALIDDATA || errnum == AVERROR_EOF || errnum == AVERROR(EIO)) {
    return DataLossError(message);
  }
  return InternalError(message);
}

Status FFmpegInputError(int errnum, const std::string& what) {
  if (errnum == AVERROR(ENOSYS)) return UnsupportedError(what + ": " + FFmpegErrorString(errnum));
  const Status s = FFmpegError(errnum, what);
  if (s.code() == StatusCode::kInternal || s.code() == StatusCode::kInvalidArgument) {
    return DataLossError(what + ": corrupt or unreadable codec data (" + FFmpegErrorString(errnum) + ")");
  }
  return s;
}

void RouteFFmpegLogs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(LogCallback); });
}

}  // namespace vigil::video
