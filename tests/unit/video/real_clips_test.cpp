// Real clips from data/videos (fetched from Debian packages): open, info and every sampler, checked
// against ffprobe run at test time (size, key-frame times) and against the reader's own full decode
// (interval picks the nearest frame, scene boundaries are decoded frames, timestamps increase).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>

#include "video_fixtures.h"
#include "vigil/video.h"

namespace vigil {
namespace {

std::string RunCommand(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe.get())) > 0) out.append(buf, n);
  return out;
}

std::vector<double> Numbers(const std::string& text) {
  std::vector<double> v;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line == "N/A") continue;
    v.push_back(std::strtod(line.c_str(), nullptr));
  }
  return v;
}

// ffprobe's key-frame presentation times, relative to the stream start.
std::vector<double> ProbeKeyframes(const std::string& path) {
  const std::string q = "'" + path + "'";
  const std::vector<double> start = Numbers(RunCommand(
      "ffprobe -v error -select_streams v:0 -show_entries stream=start_time -of csv=p=0 " + q));
  // -skip_frame nokey spares ffprobe the work where the decoder allows it; frames are still filtered
  // on key_frame, as decoders that ignore skip_frame (cinepak) return every frame.
  const std::vector<double> keys = Numbers(RunCommand(
      "ffprobe -v error -select_streams v:0 -skip_frame nokey -show_entries frame=key_frame,best_effort_timestamp_time "
      "-of csv=p=0 " + q + " | awk -F, '$1 == 1 {print $2}'"));
  std::vector<double> out;
  for (double k : keys) out.push_back(k - (start.empty() ? 0 : start[0]));
  return out;
}

class RealClip : public ::testing::TestWithParam<const char*> {};

TEST_P(RealClip, OpensAndSamplesSanely) {
  const std::string path = testing::VideosDir() + "/" + GetParam();
  // Every frame (tiny output) and the shot detector: the reference timeline.
  VideoReaderOptions all_options = testing::WithSampler("all", 16, 16);
  all_options.detect_shots = true;
  testing::Sampled all = testing::ReadAll(path, all_options);
  ASSERT_GT(all.frames.size(), 10u) << path;
  const VideoInfo& info = all.info;
  const std::vector<double> dims = Numbers(RunCommand(
      "ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of default=nw=1:nk=1 '" + path + "'"));
  ASSERT_GE(dims.size(), 2u);
  EXPECT_EQ(info.rotation_deg % 180 ? info.height : info.width, static_cast<int>(dims[0]));
  EXPECT_EQ(info.rotation_deg % 180 ? info.width : info.height, static_cast<int>(dims[1]));
  EXPECT_GT(info.fps, 1);
  EXPECT_GT(info.duration_s, 0.5);
  EXPECT_FALSE(info.codec.empty());
  std::vector<double> times;
  for (const VideoFrame& f : all.frames) times.push_back(f.timestamp_s);
  EXPECT_GE(times.front(), -1e-6);
  EXPECT_NEAR(times.front(), 0.0, 0.1);
  for (size_t i = 1; i < times.size(); ++i) ASSERT_GT(times[i], times[i - 1]) << path << " frame " << i;
  EXPECT_LE(times.back(), info.duration_s + 0.1);
  EXPECT_EQ(all.frames.size(), static_cast<size_t>(all.decoded));

  // Key frames: exactly ffprobe's list (when the codec can skip, nothing else was decoded).
  testing::Sampled keys = testing::ReadAll(path, testing::WithSampler("keyframes:0", 32, 32));
  const std::vector<double> probe = ProbeKeyframes(path);
  ASSERT_EQ(keys.frames.size(), probe.size()) << path;
  for (size_t i = 0; i < probe.size(); ++i) {
    EXPECT_NEAR(keys.frames[i].timestamp_s, probe[i], 1e-3) << path << " key frame " << i;
    EXPECT_TRUE(keys.frames[i].key_frame);
    EXPECT_EQ(keys.frames[i].image.width, 32);
  }
  EXPECT_LE(keys.decoded, static_cast<int64_t>(all.frames.size()));
  if (keys.decoded > static_cast<int64_t>(keys.frames.size())) {  // the fallback says so
    bool noted = false;
    for (const std::string& n : keys.notes) noted |= n.find("key-frame skipping unavailable") != std::string::npos;
    EXPECT_TRUE(noted) << path;
  }

  // The default key-frame sampler: ffprobe's key frames thinned to one per second (each kept one at
  // least 1 s less half a frame after the previous kept one), the same pixels as keyframes:0.
  testing::Sampled thinned = testing::ReadAll(path, testing::WithSampler("keyframes", 32, 32));
  std::vector<size_t> kept;
  for (size_t i = 0; i < probe.size(); ++i) {
    if (kept.empty() || probe[i] >= probe[kept.back()] + 1.0 - 0.5 / info.fps) kept.push_back(i);
  }
  ASSERT_EQ(thinned.frames.size(), kept.size()) << path;
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_NEAR(thinned.frames[i].timestamp_s, probe[kept[i]], 1e-3) << path << " kept key frame " << i;
    EXPECT_EQ(thinned.frames[i].image.pixels, keys.frames[kept[i]].image.pixels) << path << " kept key frame " << i;
  }
  EXPECT_LE(thinned.decoded, keys.decoded);

  // interval:1: for each requested second, the nearest decoded frame, with the same pixels as in the
  // full decode (seeking and dropping non-reference frames change nothing).
  testing::Sampled interval = testing::ReadAll(path, testing::WithSampler("interval:1", 16, 16));
  ASSERT_FALSE(interval.frames.empty());
  for (const VideoFrame& f : interval.frames) {
    const double target = std::round(f.timestamp_s);
    size_t nearest = 0;
    for (size_t i = 0; i < times.size(); ++i) {
      if (std::fabs(times[i] - target) < std::fabs(times[nearest] - target)) nearest = i;
    }
    EXPECT_NEAR(f.timestamp_s, times[nearest], 1e-6) << path << " target " << target;
    EXPECT_EQ(f.image.pixels, all.frames[nearest].image.pixels) << path << " target " << target;
  }
  const size_t expected = static_cast<size_t>(std::floor(times.back() + 0.5 / info.fps)) + 1;
  EXPECT_NEAR(static_cast<double>(interval.frames.size()), static_cast<double>(expected), 1.0) << path;

  // Shots tile the decoded timeline.
  ASSERT_FALSE(all.shots.empty());
  EXPECT_NEAR(all.shots.front().start_s, times.front(), 1e-6);
  EXPECT_NEAR(all.shots.back().end_s, times.back() + 1.0 / info.fps, 0.1);
  for (size_t i = 0; i < all.shots.size(); ++i) {
    EXPECT_TRUE(std::binary_search(times.begin(), times.end(), all.shots[i].start_s)) << path;
    EXPECT_LT(all.shots[i].start_s, all.shots[i].end_s);
    if (i > 0) EXPECT_EQ(all.shots[i].first_frame, all.shots[i - 1].last_frame + 1);
  }
  // The scene sampler returns the first frame of each of those shots (short clips: it decodes all).
  if (info.duration_s < 20) {
    testing::Sampled scene = testing::ReadAll(path, testing::WithSampler("scene", 32, 32));
    ASSERT_EQ(scene.shots.size(), all.shots.size());
    ASSERT_EQ(scene.frames.size(), scene.shots.size());
    for (size_t i = 0; i < scene.shots.size(); ++i) {
      EXPECT_NEAR(scene.frames[i].timestamp_s, all.shots[i].start_s, 1e-9);
      EXPECT_EQ(scene.shots[i].first_frame, all.shots[i].first_frame);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DataVideos, RealClip,
                         ::testing::Values("vtest.avi", "freecol-opening.video.ogg", "cockatoo.mp4",
                                           "VID_20191220_170832.mp4", "cityCC0.mpg", "intro.mpg", "movie.avi",
                                           "tree.avi", "realshort.mp4", "movie-hello.mp4"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

}  // namespace
}  // namespace vigil
