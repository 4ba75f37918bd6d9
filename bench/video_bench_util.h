// Shared by the video benchmarks (video_bench, scene_bench): reading a clip through VideoReader, and
// the ffmpeg CLI as the peer: wall time of a command (median of N runs) and the frames ffmpeg's
// select filter kept (from a metadata=print file). Header-only: each bench/*.cpp is its own program.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "vigil/video.h"

namespace vigil_bench {

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Wall seconds of a shell command (median of `repeats`); exits if it fails.
inline double TimeCommand(const std::string& cmd, int repeats) {
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "command failed: %s\n", cmd.c_str());
      std::exit(1);
    }
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Median(t);
}

// Opens `path` and reads every sampled frame (on_frame sees each); exits with a message on any error.
// Returns the reader for its statistics (decoded_frames, shots, notes).
inline std::unique_ptr<vigil::VideoReader> ReadClipOrExit(const std::string& path, const vigil::VideoReaderOptions& o,
                                                          const std::function<void(const vigil::VideoFrame&)>& on_frame) {
  auto reader = vigil::VideoReader::Open(path, o);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), reader.status().ToString().c_str());
    std::exit(1);
  }
  vigil::VideoFrame frame;
  while (true) {
    auto more = (*reader)->Next(&frame);
    if (!more.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), more.status().ToString().c_str());
      std::exit(1);
    }
    if (!*more) break;
    on_frame(frame);
  }
  return std::move(*reader);
}

inline std::string Quote(const std::string& s) { return "'" + s + "'"; }

// Times of the frames ffmpeg's select filter keeps, from a metadata=print file.
inline std::vector<double> ReadSelectedTimes(const std::string& file) {
  std::vector<double> times;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const size_t p = line.find("pts_time:");
    if (p != std::string::npos) times.push_back(std::strtod(line.c_str() + p + 9, nullptr));
  }
  return times;
}

// `ffmpeg -threads N -i CLIP -vf "select='gt(scene,T)',metadata=print:file=META" -f null -`: median
// wall seconds, and the selected frame times in *selected.
inline double RunFfmpegSceneSelect(const std::string& clip, double threshold, int threads, int repeats,
                                   std::vector<double>* selected) {
  const std::string meta = "/tmp/vigil_bench_scene_" + std::to_string(::getpid()) + ".txt";
  char select[64];
  std::snprintf(select, sizeof select, "select='gt(scene,%g)'", threshold);
  const double s = TimeCommand("ffmpeg -nostdin -hide_banner -v error -threads " + std::to_string(threads) +
                                   " -i " + Quote(clip) + " -vf \"" + select + ",metadata=print:file=" + meta +
                                   "\" -an -f null -",
                               repeats);
  *selected = ReadSelectedTimes(meta);
  std::remove(meta.c_str());
  return s;
}

}  // namespace vigil_bench
