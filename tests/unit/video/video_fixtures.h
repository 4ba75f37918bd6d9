// Test fixtures for tests/unit/video: tiny clips generated at test time with the ffmpeg CLI from
// lavfi sources (known key-frame interval, known cut times), bad files, and paths to data/videos.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "vigil/video.h"

namespace vigil::testing {

// Directory for generated fixtures, shared by the test processes of one build (ctest runs each test
// in its own process): VIGIL_BINARY_DIR/test_fixtures/video.
inline std::string FixtureDir() {
  static const std::string dir = [] {
    std::string d = std::string(VIGIL_BINARY_DIR) + "/test_fixtures/video";
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Runs `ffmpeg -nostdin -v error -y ARGS OUT` unless OUT exists; returns OUT's path ("" on failure).
// Written under a per-process name, then renamed, so parallel test processes never see a partial file.
inline std::string Generate(const std::string& name, const std::string& args) {
  const std::string out = FixtureDir() + "/" + name;
  if (std::filesystem::exists(out)) return out;
  const std::string ext = std::filesystem::path(name).extension().string();
  const std::string tmp = FixtureDir() + "/tmp_" + std::to_string(::getpid()) + "_" + name;
  const std::string fmt = ext == ".rgb" ? "" : " -f " + std::string(ext == ".mkv" ? "matroska" : ext == ".jpg" ? "image2" : ext == ".png" ? "image2" : ext.substr(1));
  const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y " + args + fmt + " '" + tmp + "' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    std::filesystem::remove(tmp);
    return "";
  }
  std::filesystem::rename(tmp, out);
  return out;
}

// A directory private to this test process, removed when it exits.
inline std::string ScratchDir() {
  struct Dir {
    std::string path;
    Dir() {
      path = (std::filesystem::temp_directory_path() / ("vigil_video_" + std::to_string(::getpid()))).string();
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Writes bytes to a file in ScratchDir().
inline std::string WriteBytes(const std::string& name, const std::string& bytes) {
  const std::string path = ScratchDir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline bool HaveEncoder(const std::string& name) {
  const std::string cmd = "ffmpeg -hide_banner -encoders 2>/dev/null | grep -qw " + name;
  return std::system(cmd.c_str()) == 0;
}

// Three 2-second segments at 25 fps, 160x120, from different lavfi sources (testsrc2, smptebars,
// testsrc): hard cuts at exactly 2.0 s (frame 50) and 4.0 s (frame 100); 150 frames.
inline std::string ThreeSegmentsFilter() {
  return "-f lavfi -i testsrc2=s=160x120:r=25:d=2 -f lavfi -i smptebars=s=160x120:r=25:d=2 "
         "-f lavfi -i testsrc=s=160x120:r=25:d=2 -filter_complex '[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p' ";
}

// The three-segment clip with a key frame every `gop` frames exactly (no scene-cut key frames).
inline std::string CutsClip(const std::string& ext, const std::string& codec, int gop) {
  std::string enc;
  if (codec == "libx264") enc = "-c:v libx264 -preset ultrafast -bf 2 -sc_threshold 0 -g " + std::to_string(gop) + " -keyint_min " + std::to_string(gop);
  else if (codec == "mpeg4") enc = "-c:v mpeg4 -q:v 5 -bf 0 -sc_threshold 1000000000 -g " + std::to_string(gop);
  else if (codec == "libvpx") enc = "-c:v libvpx -b:v 300k -deadline realtime -cpu-used 8 -auto-alt-ref 0 -g " + std::to_string(gop) + " -keyint_min " + std::to_string(gop);
  else if (codec == "libvpx-vp9") enc = "-c:v libvpx-vp9 -b:v 300k -deadline realtime -cpu-used 8 -g " + std::to_string(gop) + " -keyint_min " + std::to_string(gop);
  return Generate("cuts_" + codec + "_g" + std::to_string(gop) + "." + ext, ThreeSegmentsFilter() + enc);
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string VideosDir() {
  const char* data = std::getenv("VIGIL_TEST_DATA");
  return (data && *data ? std::string(data) : std::string(VIGIL_SOURCE_DIR) + "/data") + "/videos";
}

struct Sampled {
  std::vector<VideoFrame> frames;
  std::vector<std::string> notes;
  std::vector<Shot> shots;
  VideoInfo info;
  int64_t decoded = 0;
};

// Opens `path` with `options` and reads every sampled frame; fails the test on errors.
inline Sampled ReadAll(const std::string& path, VideoReaderOptions options) {
  Sampled out;
  Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(path, options);
  EXPECT_TRUE(reader.ok()) << path << ": " << reader.status().ToString();
  if (!reader.ok()) return out;
  out.info = (*reader)->info();
  VideoFrame frame;
  while (true) {
    Result<bool> more = (*reader)->Next(&frame);
    EXPECT_TRUE(more.ok()) << path << ": " << more.status().ToString();
    if (!more.ok() || !*more) break;
    out.frames.push_back(frame);
  }
  out.notes = (*reader)->notes();
  out.shots = (*reader)->shots();
  out.decoded = (*reader)->decoded_frames();
  return out;
}

inline VideoReaderOptions WithSampler(const std::string& sampler, int w = 0, int h = 0) {
  VideoReaderOptions o;
  Result<SamplerSpec> spec = ParseSampler(sampler);
  EXPECT_TRUE(spec.ok()) << sampler;
  if (spec.ok()) o.sampler = *spec;
  o.out_width = w;
  o.out_height = h;
  return o;
}

}  // namespace vigil::testing
