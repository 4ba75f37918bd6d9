// UploadFile: streamed uploads on disk (POSIX fd, fsync, atomic rename).
#include "upload_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vigil::server {
namespace {

// A failed create/write/fsync/rename of an upload. A full or read-only disk is kUnavailable (503
// with Retry-After: the request was fine, the server cannot store it now), naming the cause;
// anything else is internal.
Status UploadIoError(const std::string& what, int err) {
  const std::string message = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return UnavailableError(message + " (jobs.data_dir is full)");
  if (err == EROFS || err == EACCES || err == EPERM) return UnavailableError(message + " (jobs.data_dir is not writable)");
  return InternalError(message);
}

}  // namespace

Result<UploadFile> UploadFile::Create(const std::string& dir, const std::string& name, size_t max_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return UploadIoError("cannot create upload directory " + dir, ec.value());
  const std::string path = (std::filesystem::path(dir) / name).string();
  const int fd = ::open((path + ".part").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return UploadIoError("cannot create " + path + ".part", errno);
  return UploadFile(fd, path, max_bytes);
}

UploadFile::UploadFile(UploadFile&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), max_bytes_(other.max_bytes_), size_(other.size_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;  // the moved-from object removes nothing
}

UploadFile::~UploadFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink((path_ + ".part").c_str());
}

Status UploadFile::Append(const char* data, size_t size) {
  if (size_ + size > max_bytes_) {
    return ResourceExhaustedError("upload larger than jobs.max_upload_bytes (" + std::to_string(max_bytes_) + ")");
  }
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UploadIoError("writing " + path_ + ".part", n < 0 ? errno : ENOSPC);
    data += n;
    size -= size_t(n);
    size_ += size_t(n);
  }
  return Status::Ok();
}

Status UploadFile::Commit() {
  if (::fsync(fd_) != 0) return UploadIoError("fsync " + path_ + ".part", errno);
  ::close(fd_);
  fd_ = -1;
  if (::rename((path_ + ".part").c_str(), path_.c_str()) != 0) {
    return UploadIoError("rename " + path_ + ".part", errno);
  }
  committed_ = true;
  return Status::Ok();
}

int UploadFile::RemoveOrphans(const std::string& dir, const JobStore& store) {
  std::error_code ec;
  std::vector<std::filesystem::path> orphans;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::filesystem::path& p = entry.path();
    if (p.extension() == ".part") {
      orphans.push_back(p);
    } else if (p.extension() == ".video") {
      Result<Job> job = store.Get(p.stem().string());
      if ((!job.ok() && job.status().code() == StatusCode::kNotFound) || (job.ok() && IsFinal(job->state))) {
        orphans.push_back(p);
      }
    }
  }
  int removed = 0;
  for (const auto& p : orphans) removed += std::filesystem::remove(p, ec) ? 1 : 0;
  return removed;
}

}  // namespace vigil::server
