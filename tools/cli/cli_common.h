// Shared pieces of the vigil command: defaults from the environment, input discovery, progress.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace vigil {
struct VideoHashOptions;
}  // namespace vigil

namespace vigil::cli {

// Exit codes.
constexpr int kExitOk = 0;
constexpr int kExitSomeInputsFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitError = 3;

// $VIGIL_MODELS, else ./models if it exists, else <dir of the executable>/../models.
std::string DefaultModelRepository();

// Expands files and directories (recursively, sorted) into a list of files. Directories contribute
// only files whose extension looks like an image; files named explicitly are always kept.
// Paths that do not exist are kept too, so that they are reported as failed inputs.
std::vector<std::string> CollectImagePaths(const std::vector<std::string>& inputs);
// The same for videos (directories contribute files with a video extension).
std::vector<std::string> CollectVideoPaths(const std::vector<std::string>& inputs);
// The same for both (directories contribute images and videos).
std::vector<std::string> CollectMediaPaths(const std::vector<std::string>& inputs);
// --interval, --dedupe-distance and --frame-quality-floor: how videos are hashed (`vigil hash`,
// `vigil bank add|match`); defined in cmd_hash.cpp.
void AddVideoHashOptions(CLI::App* cmd, VideoHashOptions* options);
// True when the file name has a video extension (.mp4, .mov, .mkv, .avi, .mpg, .ogv, ...).
bool LooksLikeVideoPath(const std::string& path);

// Makes a repeatable option (one bound to a vector) take exactly one value per occurrence (a comma
// list where the option has a delimiter), so that `vigil classify -m A -m B a.jpg b.jpg` does not
// read the paths after an option as more of its values. Every vector option of every subcommand is
// declared through it; returns `option` for chaining.
CLI::Option* OneValuePerFlag(CLI::Option* option);

// Prints "error: <status>" to stderr and returns kExitError.
int ReportError(const Status& status);

// A one-line progress bar on stderr, drawn only when stderr is a terminal; thread-safe Tick().
class ProgressBar {
 public:
  ProgressBar(size_t total, bool enabled);
  void Tick(bool failed);
  void Finish();

 private:
  void Draw(bool force);
  size_t total_;
  bool enabled_;
  std::atomic<size_t> done_{0};
  std::atomic<size_t> failed_{0};
  std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> last_draw_ms_{-1000};
};

}  // namespace vigil::cli
