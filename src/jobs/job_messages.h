// Text of job errors shown to clients. Used by the video job handlers (tag, moderate).
#pragma once

#include <filesystem>
#include <string>

namespace vigil::jobs {

// Error messages go to the client: the server-side path of the input becomes "the video".
inline std::string WithoutPath(std::string message, const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  for (const std::string& needle : {path, name}) {
    if (needle.empty()) continue;
    for (size_t at = message.find(needle); at != std::string::npos; at = message.find(needle, at)) {
      message.replace(at, needle.size(), "the video");
    }
  }
  return message;
}

}  // namespace vigil::jobs
