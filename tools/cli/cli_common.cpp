// Shared pieces of the vigil command.
#include "cli_common.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace vigil::cli {
namespace fs = std::filesystem;

CLI::Option* OneValuePerFlag(CLI::Option* option) { return option->allow_extra_args(false); }

std::string DefaultModelRepository() {
  if (const char* env = std::getenv("VIGIL_MODELS"); env && *env) return env;
  std::error_code ec;
  if (fs::is_directory("models", ec)) return "models";
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      if (fs::is_directory(dir / "models", ec)) return (dir / "models").string();
    }
  }
  return "models";
}

static bool HasExtension(const fs::path& p, std::initializer_list<const char*> exts) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return std::any_of(exts.begin(), exts.end(), [&](const char* e) { return ext == e; });
}

static bool LooksLikeImage(const fs::path& p) {
  return HasExtension(p, {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"});
}

static bool LooksLikeVideo(const fs::path& p) {
  return HasExtension(p, {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts",
                          ".ogv", ".ogg", ".flv", ".wmv", ".3gp"});
}

// Files named explicitly are kept; directories contribute the files `keep` accepts, sorted.
static std::vector<std::string> CollectPaths(const std::vector<std::string>& inputs,
                                             bool (*keep)(const fs::path&)) {
  std::vector<std::string> out;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(
               input, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec) && keep(it->path())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(input);
    }
  }
  return out;
}

std::vector<std::string> CollectImagePaths(const std::vector<std::string>& inputs) {
  return CollectPaths(inputs, &LooksLikeImage);
}

std::vector<std::string> CollectVideoPaths(const std::vector<std::string>& inputs) {
  return CollectPaths(inputs, &LooksLikeVideo);
}

static bool LooksLikeMedia(const fs::path& p) { return LooksLikeImage(p) || LooksLikeVideo(p); }

std::vector<std::string> CollectMediaPaths(const std::vector<std::string>& inputs) {
  return CollectPaths(inputs, &LooksLikeMedia);
}

bool LooksLikeVideoPath(const std::string& path) { return LooksLikeVideo(fs::path(path)); }

int ReportError(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
  return kExitError;
}

ProgressBar::ProgressBar(size_t total, bool enabled)
    : total_(total), enabled_(enabled && isatty(STDERR_FILENO) && total > 1),
      start_(std::chrono::steady_clock::now()) {}

void ProgressBar::Tick(bool failed) {
  ++done_;
  if (failed) ++failed_;
  Draw(false);
}

void ProgressBar::Draw(bool force) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
  int64_t last = last_draw_ms_.load();
  if (!force && (ms - last < 100 || !last_draw_ms_.compare_exchange_strong(last, ms))) return;
  size_t done = done_.load();
  const int width = 30;
  int filled = total_ ? int(width * done / total_) : width;
  double rate = ms > 0 ? done * 1000.0 / ms : 0;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu  %.1f img/s  %zu failed ", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total_, rate, failed_.load());
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (!enabled_) return;
  Draw(true);
  std::fputs("\n", stderr);
}

}  // namespace vigil::cli
