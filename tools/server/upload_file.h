// UploadFile: a request body streamed to disk as <dir>/<name>.part, made durable (fsync) and
// renamed to <dir>/<name> by Commit(); removed if never committed.
#pragma once

#include <cstddef>
#include <string>

#include "vigil/jobs.h"
#include "vigil/status.h"

namespace vigil::server {

class UploadFile {
 public:
  // Creates the directory if needed and the .part file (exclusive, mode 0600).
  static Result<UploadFile> Create(const std::string& dir, const std::string& name, size_t max_bytes);
  UploadFile(UploadFile&& other) noexcept;
  UploadFile& operator=(UploadFile&&) = delete;
  ~UploadFile();
  // Appends; kResourceExhausted past max_bytes.
  Status Append(const char* data, size_t size);
  // fsync, close, rename to the final path.
  Status Commit();
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }  // the final path

  // At start-up: removes from `dir` the *.part files a crashed server left, and uploads
  // ("<job id>.video") whose job ended or was never stored. Returns how many files went.
  static int RemoveOrphans(const std::string& dir, const JobStore& store);

 private:
  UploadFile(int fd, std::string path, size_t max_bytes) : fd_(fd), path_(std::move(path)), max_bytes_(max_bytes) {}
  int fd_ = -1;
  std::string path_;
  size_t max_bytes_ = 0;
  size_t size_ = 0;
  bool committed_ = false;
};

}  // namespace vigil::server
