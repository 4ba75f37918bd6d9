// video_bench: Vigil's VideoReader against the ffmpeg CLI in the same sitting, medians of N runs.
//   (a) key-frame sampling of a 1080p clip, frames scaled to the model size, vs
//       `ffmpeg -threads 2 -skip_frame nokey -i CLIP -f null -`
//   (b) interval:1 sampling, vs `ffmpeg -threads 2 -i CLIP -vf fps=1 -f null -` (full decode)
//   (c) shot detection on a 640x480 clip (decoded frames/s) vs
//       `ffmpeg -threads 2 -i CLIP -vf "select='gt(scene,0.3)'" -f null -`, and both detectors'
//       recall/precision against hand-checked transitions.
// ffmpeg times include its process start-up, printed separately (a null run) for reference.
//
// usage: video_bench --clip CLIP_1080P [--scene-clip freecol.ogg --truth freecol_transitions.json]
//        [--repeats 5] [--size 224] [--threads 2]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "media/transition_matching.h"
#include "video_bench_util.h"
#include "vigil/video.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil_bench::Median;
using vigil_bench::Quote;
using vigil_bench::TimeCommand;

struct Args {
  std::string clip;
  std::string scene_clip;
  std::string truth;
  int repeats = 5;
  int size = 224;
  int threads = 2;
};

struct ReaderRun {
  double seconds = 0;      // median wall time
  int64_t frames = 0;      // sampled frames
  int64_t decoded = 0;     // frames the decoder produced
  double duration_s = 0;   // clip duration
  double max_offset_s = 0; // interval: largest |timestamp - requested time|
  std::vector<vigil::Shot> shots;
  std::vector<std::string> notes;
};

ReaderRun RunReader(const std::string& path, const std::string& sampler, int size, int threads, int repeats) {
  ReaderRun run;
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    vigil::VideoReaderOptions o;
    o.sampler = *vigil::ParseSampler(sampler);
    o.out_width = o.out_height = size;
    o.decode_threads = threads;
    const auto start = Clock::now();
    int64_t n = 0;
    double max_offset = 0;
    auto reader = vigil_bench::ReadClipOrExit(path, o, [&](const vigil::VideoFrame& frame) {
      if (o.sampler.kind == vigil::SamplerKind::kInterval) {
        max_offset = std::max(max_offset, std::fabs(frame.timestamp_s - std::round(frame.timestamp_s / o.sampler.interval_s) * o.sampler.interval_s));
      }
      ++n;
    });
    t.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    run.frames = n;
    run.decoded = reader->decoded_frames();
    run.duration_s = reader->info().duration_s;
    run.max_offset_s = max_offset;
    run.shots = reader->shots();
    run.notes = reader->notes();
  }
  run.seconds = Median(t);
  return run;
}

void PrintNotes(const ReaderRun& r) {
  for (const std::string& n : r.notes) std::printf("      note: %s\n", n.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--clip") a.clip = v;
    else if (k == "--scene-clip") a.scene_clip = v;
    else if (k == "--truth") a.truth = v;
    else if (k == "--repeats") a.repeats = std::atoi(v.c_str());
    else if (k == "--size") a.size = std::atoi(v.c_str());
    else if (k == "--threads") a.threads = std::atoi(v.c_str());
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  if (a.clip.empty()) {
    std::fprintf(stderr, "usage: video_bench --clip CLIP_1080P [--scene-clip OGG --truth JSON] [--repeats N] [--size PX] [--threads N]\n");
    return 2;
  }
  const std::string ff = "ffmpeg -nostdin -hide_banner -v error -threads " + std::to_string(a.threads) + " ";
  const double startup = TimeCommand(ff + "-f lavfi -i color=s=16x16:d=0.04 -f null -", a.repeats);
  std::printf("video_bench: %d runs each, medians; decode threads %d; output %dx%d; ffmpeg start-up %.3f s\n",
              a.repeats, a.threads, a.size, a.size, startup);

  // (a) key frames.
  ReaderRun keys = RunReader(a.clip, "keyframes", a.size, a.threads, a.repeats);
  const double ff_keys = TimeCommand(ff + "-skip_frame nokey -i " + Quote(a.clip) + " -an -f null -", a.repeats);
  std::printf("(a) keyframes  %s (%.1f s): vigil %.3f s, %lld frames, %.0f frames/s, %.0fx realtime | ffmpeg -skip_frame nokey %.3f s, %.0fx realtime | vigil/ffmpeg speed %.2fx\n",
              a.clip.c_str(), keys.duration_s, keys.seconds, static_cast<long long>(keys.frames),
              keys.frames / keys.seconds, keys.duration_s / keys.seconds, ff_keys, keys.duration_s / ff_keys,
              ff_keys / keys.seconds);
  PrintNotes(keys);

  // (b) interval:1.
  ReaderRun every = RunReader(a.clip, "interval:1", a.size, a.threads, a.repeats);
  const double ff_fps = TimeCommand(ff + "-i " + Quote(a.clip) + " -vf fps=1 -an -f null -", a.repeats);
  ReaderRun all = RunReader(a.clip, "all", 16, a.threads, 1);  // reference count of frames (one run)
  std::printf("(b) interval:1 vigil %.3f s, %lld frames (max offset %.1f ms), decoded %lld of %lld, %.0fx realtime | ffmpeg -vf fps=1 %.3f s, %.0fx realtime | vigil/ffmpeg speed %.2fx | vigil all-frames decode %.3f s\n",
              every.seconds, static_cast<long long>(every.frames), every.max_offset_s * 1000,
              static_cast<long long>(every.decoded), static_cast<long long>(all.decoded),
              every.duration_s / every.seconds, ff_fps, every.duration_s / ff_fps, ff_fps / every.seconds, all.seconds);
  PrintNotes(every);

  // (c) scene detection.
  if (!a.scene_clip.empty()) {
    ReaderRun scene = RunReader(a.scene_clip, "scene", a.size, a.threads, a.repeats);
    std::vector<double> ff_selected;
    const double ff_scene = vigil_bench::RunFfmpegSceneSelect(a.scene_clip, 0.3, a.threads, a.repeats, &ff_selected);
    std::printf("(c) scene      %s: vigil %.3f s, %lld frames analysed, %.0f frames/s, %zu shots | ffmpeg select(scene>0.3) %.3f s, %.0f frames/s | vigil/ffmpeg speed %.2fx\n",
                a.scene_clip.c_str(), scene.seconds, static_cast<long long>(scene.decoded), scene.decoded / scene.seconds,
                scene.shots.size(), ff_scene, scene.decoded / ff_scene, ff_scene / scene.seconds);
    PrintNotes(scene);
    if (!a.truth.empty()) {
      auto truth = vigil::video::ReadLabelledTransitions(a.truth);
      if (!truth.ok()) {
        std::fprintf(stderr, "%s\n", truth.status().ToString().c_str());
        return 1;
      }
      std::vector<double> ours;
      for (size_t i = 1; i < scene.shots.size(); ++i) ours.push_back(scene.shots[i].start_s);
      const auto s1 = vigil::video::ScoreTransitions(*truth, ours);
      const auto s2 = vigil::video::ScoreTransitions(*truth, ff_selected);
      std::printf("    quality vs %d hand-checked transitions: vigil scene recall %.2f precision %.2f (%d/%d detections) | ffmpeg scene>0.3 recall %.2f precision %.2f (%d/%d)\n",
                  s1.transitions, s1.recall, s1.precision, s1.matched, s1.detections, s2.recall, s2.precision,
                  s2.matched, s2.detections);
    }
  }
  return 0;
}
