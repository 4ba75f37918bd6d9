// scene_bench: Vigil's `scene` sampler (adaptive shot detector) against ffmpeg's scene score
// (`ffmpeg -threads N -i CLIP -vf "select='gt(scene,0.3)'" -f null -`) on the same clips in the same
// sitting: decoded frames/s of each (medians of N runs, Vigil and ffmpeg runs interleaved so both see
// the same load), the speed ratio, and, for clips with a transitions list
// (video::ReadLabelledTransitions), recall/precision of both, per clip and pooled over the clips.
// ffmpeg times include its process start-up (Vigil's do not: it runs in this process); the start-up
// is measured once (null run, median) and the ratio is also printed without it.
//
// usage: scene_bench --clip CLIP [--truth JSON] [--clip CLIP2 [--truth JSON2] ...] [--repeats 5]
//                    [--threads 2] [--size 224] [--ffmpeg-threshold 0.3]
//   --truth applies to the --clip before it; --repeats 0 measures quality only (one run, no timing);
//   --vigil-only 1 skips ffmpeg (for profiling Vigil alone, e.g. under perf record).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "media/transition_matching.h"
#include "video_bench_util.h"
#include "vigil/video.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Clip {
  std::string path;
  std::string truth;
};

struct Args {
  std::vector<Clip> clips;
  int repeats = 5;
  int threads = 2;
  int size = 224;
  double ffmpeg_threshold = 0.3;
  bool vigil_only = false;
};

struct SceneRun {
  double seconds = 0;
  int64_t decoded = 0;
  std::vector<double> boundaries;  // start times of shots 2..n
};

SceneRun RunScene(const std::string& path, const Args& a) {
  vigil::VideoReaderOptions o;
  o.sampler = *vigil::ParseSampler("scene");
  o.out_width = o.out_height = a.size;
  o.decode_threads = a.threads;
  const auto start = Clock::now();
  auto reader = vigil_bench::ReadClipOrExit(path, o, [](const vigil::VideoFrame&) {});
  SceneRun run;
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  run.decoded = reader->decoded_frames();
  const std::vector<vigil::Shot>& shots = reader->shots();
  for (size_t i = 1; i < shots.size(); ++i) run.boundaries.push_back(shots[i].start_s);
  return run;
}

struct Pooled {
  int transitions = 0, matched_ours = 0, detections_ours = 0, matched_ff = 0, detections_ff = 0;
  void Add(const vigil::video::TransitionScore& ours, const vigil::video::TransitionScore& ff) {
    transitions += ours.transitions;
    matched_ours += ours.matched;
    detections_ours += ours.detections;
    matched_ff += ff.matched;
    detections_ff += ff.detections;
  }
};

double Ratio(int a, int b) { return b ? static_cast<double>(a) / b : 0; }

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--clip") a.clips.push_back({v, ""});
    else if (k == "--truth" && !a.clips.empty()) a.clips.back().truth = v;
    else if (k == "--repeats") a.repeats = std::atoi(v.c_str());
    else if (k == "--threads") a.threads = std::atoi(v.c_str());
    else if (k == "--size") a.size = std::atoi(v.c_str());
    else if (k == "--ffmpeg-threshold") a.ffmpeg_threshold = std::atof(v.c_str());
    else if (k == "--vigil-only") a.vigil_only = v == "1";
    else { std::fprintf(stderr, "unknown option %s\n", k.c_str()); return 2; }
  }
  if (a.clips.empty() || a.repeats < 0) {
    std::fprintf(stderr, "usage: scene_bench --clip CLIP [--truth JSON] [--clip ...] [--repeats N] [--threads N] [--size PX] [--ffmpeg-threshold T]\n");
    return 2;
  }
  const int runs = std::max(1, a.repeats);
  if (a.vigil_only) {
    for (const Clip& c : a.clips) {
      std::vector<double> t;
      SceneRun run;
      for (int r = 0; r < std::max(1, a.repeats); ++r) t.push_back((run = RunScene(c.path, a)).seconds);
      std::printf("%s: %lld frames, %zu boundaries | vigil scene %.3f s, %.0f frames/s\n", c.path.c_str(),
                  static_cast<long long>(run.decoded), run.boundaries.size(), vigil_bench::Median(t),
                  run.decoded / vigil_bench::Median(t));
    }
    return 0;
  }
  double startup = 0;
  if (a.repeats > 0) {
    startup = vigil_bench::TimeCommand(
        "ffmpeg -nostdin -hide_banner -v error -f lavfi -i color=s=16x16:d=0.04 -f null -", a.repeats);
    std::printf("scene_bench: %d runs each (interleaved), medians; decode threads %d (ffmpeg -threads %d); ffmpeg start-up %.3f s\n",
                a.repeats, a.threads, a.threads, startup);
  }
  Pooled pooled;
  int with_truth = 0;
  for (const Clip& c : a.clips) {
    std::vector<double> ours_t, ff_t, ff_selected;
    SceneRun ours;
    for (int r = 0; r < runs; ++r) {
      ours = RunScene(c.path, a);
      ours_t.push_back(ours.seconds);
      ff_t.push_back(vigil_bench::RunFfmpegSceneSelect(c.path, a.ffmpeg_threshold, a.threads, 1, &ff_selected));
    }
    const double vs = vigil_bench::Median(ours_t), fs = vigil_bench::Median(ff_t);
    std::printf("%s: %lld frames", c.path.c_str(), static_cast<long long>(ours.decoded));
    if (a.repeats > 0) {
      std::printf(" | vigil scene %.3f s, %.0f frames/s | ffmpeg select(scene>%g) %.3f s, %.0f frames/s | vigil/ffmpeg speed %.2fx (%.2fx without ffmpeg's start-up)",
                  vs, ours.decoded / vs, a.ffmpeg_threshold, fs, ours.decoded / fs, fs / vs, (fs - startup) / vs);
    }
    std::printf("\n");
    if (c.truth.empty()) continue;
    auto truth = vigil::video::ReadLabelledTransitions(c.truth);
    if (!truth.ok()) {
      std::fprintf(stderr, "%s\n", truth.status().ToString().c_str());
      return 1;
    }
    const auto s1 = vigil::video::ScoreTransitions(*truth, ours.boundaries);
    const auto s2 = vigil::video::ScoreTransitions(*truth, ff_selected);
    std::printf("    %d transitions: vigil scene recall %.2f precision %.2f (%d/%d detections) | ffmpeg scene>%g recall %.2f precision %.2f (%d/%d)\n",
                s1.transitions, s1.recall, s1.precision, s1.matched, s1.detections, a.ffmpeg_threshold, s2.recall,
                s2.precision, s2.matched, s2.detections);
    std::string fp, missed;
    for (double t : s1.false_positives) fp += " " + std::to_string(t).substr(0, 5);
    for (int i : s1.missed) missed += " " + std::to_string(truth->transitions[i].start_s).substr(0, 5);
    std::printf("    vigil false positives:%s; missed:%s\n", fp.c_str(), missed.c_str());
    pooled.Add(s1, s2);
    ++with_truth;
  }
  if (with_truth > 1) {
    std::printf("pooled over %d clips, %d transitions: vigil scene recall %.2f precision %.2f (%d/%d) | ffmpeg scene>%g recall %.2f precision %.2f (%d/%d)\n",
                with_truth, pooled.transitions, Ratio(pooled.matched_ours, pooled.transitions),
                Ratio(pooled.matched_ours, pooled.detections_ours), pooled.matched_ours, pooled.detections_ours,
                a.ffmpeg_threshold, Ratio(pooled.matched_ff, pooled.transitions),
                Ratio(pooled.matched_ff, pooled.detections_ff), pooled.matched_ff, pooled.detections_ff);
  }
  return 0;
}
