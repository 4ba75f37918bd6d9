// Moderation benchmark (issue 12), one sitting, figures and ratios:
//  1. images: the policy on 1920x1080 JPEGs (made from real photos, held in memory) through
//     Moderator::ModerateBytes, one item at a time on one thread, against the ideal rate
//     1 / (decode + the inference of every model that ran) with decode and each model timed alone
//     on the same images; then 2 callers x 2 workers (throughput on 2 cores);
//  2. the cascade: model runs and time with the cascade, with the second model always deciding
//     (--no-cascade), and the decisions' agreement between the two;
//  3. video: ModerateVideo (with and without early stop) against VideoTagger::Tag with the same
//     models and sampler on the same clip.
// usage: moderate_bench --models DIR --policy FILE --photos DIR [--video FILE] [--reps 3] [--n 12]
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "vigil/classifier.h"
#include "vigil/detector.h"
#include "vigil/moderation.h"
#include "vigil/video_tagger.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
int Fail(const std::string& what, const vigil::Status& s) {
  std::fprintf(stderr, "FAILED %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

struct Args {
  std::string models = "models", policy = "policies/default.yaml", photos, video;
  int reps = 3, n = 12;
};

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--models") a.models = v;
    else if (k == "--policy") a.policy = v;
    else if (k == "--photos") a.photos = v;
    else if (k == "--video") a.video = v;
    else if (k == "--reps") a.reps = std::stoi(v);
    else if (k == "--n") a.n = std::stoi(v);
    else return std::fprintf(stderr, "unknown option %s\n", k.c_str()), 2;
  }
  auto policy = vigil::LoadPolicyFile(a.policy);
  if (!policy.ok()) return Fail("policy", policy.status());

  // 1920x1080 JPEGs from the first n photos.
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(a.photos)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<std::vector<uint8_t>> jpegs;
  for (const std::string& f : files) {
    if (int(jpegs.size()) >= a.n) break;
    cv::Mat m = cv::imread(f, cv::IMREAD_COLOR);
    if (m.empty()) continue;
    cv::Mat hd;
    cv::resize(m, hd, cv::Size(1920, 1080), 0, 0, cv::INTER_AREA);
    std::vector<uint8_t> jpeg;
    cv::imencode(".jpg", hd, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
    jpegs.push_back(std::move(jpeg));
  }
  if (jpegs.empty()) return std::fprintf(stderr, "no photos in %s\n", a.photos.c_str()), 1;
  std::printf("# moderate_bench: policy %s (%s), %zu 1920x1080 JPEGs, %d reps, %u hardware threads\n",
              policy->name.c_str(), policy->version.substr(0, 19).c_str(), jpegs.size(), a.reps,
              std::thread::hardware_concurrency());

  vigil::ModeratorOptions mo;
  mo.policy = *policy;
  mo.common.repository = a.models;
  mo.workers = 1;
  auto moderator = vigil::Moderator::Create(mo);
  if (!moderator.ok()) return Fail("moderator", moderator.status());
  const vigil::Moderator& m = **moderator;

  // Decode alone, and each model alone, on the moderator's decode.
  std::vector<vigil::Image> decoded;
  std::vector<double> decode_runs;
  for (int r = 0; r < a.reps; ++r) {
    decoded.clear();
    const auto t0 = Clock::now();
    for (const auto& j : jpegs) {
      auto img = vigil::DecodeImage(j.data(), j.size(), m.decode_options());
      if (!img.ok()) return Fail("decode", img.status());
      decoded.push_back(std::move(*img));
    }
    decode_runs.push_back(Seconds(t0, Clock::now()) / jpegs.size());
  }
  const double decode_s = Median(decode_runs);
  std::vector<double> model_s;
  for (const vigil::ModelVersion& v : m.models()) {
    vigil::ModelSelection sel = mo.common;
    sel.name = v.name;
    sel.version = v.version;
    std::unique_ptr<vigil::ScoringModel> model;
    auto probe = vigil::DetectorOptions{};
    probe.model = sel;
    if (auto d = vigil::Detector::Create(probe); d.ok()) {
      model = std::move(*d);
    } else {
      vigil::ClassifierOptions co;
      co.model = sel;
      co.with_embedding = false;
      auto c = vigil::ImageClassifier::Create(co);
      if (!c.ok()) return Fail("model " + v.name, c.status());
      model = std::move(*c);
    }
    std::vector<double> runs;
    for (int r = 0; r < a.reps; ++r) {
      const auto t0 = Clock::now();
      for (const vigil::Image& img : decoded) {
        auto out = model->Score(img);
        if (!out.ok()) return Fail("score " + v.name, out.status());
      }
      runs.push_back(Seconds(t0, Clock::now()) / decoded.size());
    }
    model_s.push_back(Median(runs));
    std::printf("  %-20s %7.2f ms per image alone\n", v.name.c_str(), model_s.back() * 1e3);
  }

  // One item at a time, one thread: count which models ran (cascade) to build the ideal.
  auto run_items = [&](const vigil::Moderator& mod, int callers, std::vector<vigil::Decision>* out) -> double {
    std::vector<double> runs;
    for (int r = 0; r < a.reps; ++r) {
      std::vector<vigil::Decision> decisions(jpegs.size());
      std::atomic<size_t> next{0};
      std::atomic<bool> failed{false};
      const auto t0 = Clock::now();
      std::vector<std::thread> threads;
      for (int c = 0; c < callers; ++c) {
        threads.emplace_back([&] {
          for (size_t i = next++; i < jpegs.size(); i = next++) {
            auto d = mod.ModerateBytes(jpegs[i].data(), jpegs[i].size());
            if (!d.ok()) {
              std::fprintf(stderr, "FAILED moderate: %s\n", d.status().ToString().c_str());
              failed = true;
              return;
            }
            for (const auto& c2 : d->categories) {
              if (c2.model_error) {
                std::fprintf(stderr, "FAILED: model error %s\n", c2.reason.c_str());
                failed = true;
              }
            }
            decisions[i] = std::move(*d);
          }
        });
      }
      for (auto& t : threads) t.join();
      if (failed) return -1;
      runs.push_back(jpegs.size() / Seconds(t0, Clock::now()));
      if (out) *out = decisions;
    }
    return Median(runs);
  };
  const auto stats0 = m.stats();
  std::vector<vigil::Decision> with_cascade;
  const double rate1 = run_items(m, 1, &with_cascade);
  if (rate1 < 0) return 1;
  const auto stats1 = m.stats();
  const double runs_per_item = double(stats1.model_runs - stats0.model_runs) / (a.reps * jpegs.size());
  // Ideal: decode + every primary model + the cascade models in the share of items that ran them.
  double ideal_s = decode_s;
  const double skipped_per_item = double(stats1.cascade_skipped - stats0.cascade_skipped) / (a.reps * jpegs.size());
  std::vector<bool> is_second(m.models().size(), false);
  for (const auto& c : policy->categories) {
    if (!c.cascade) continue;
    for (size_t i = 0; i < m.models().size(); ++i) is_second[i] = is_second[i] || m.models()[i].name == c.cascade->model;
  }
  int n_second = 0;
  for (bool b : is_second) n_second += b;
  for (size_t i = 0; i < model_s.size(); ++i) {
    const double share = is_second[i] && n_second > 0 ? 1 - skipped_per_item / n_second : 1;
    ideal_s += share * model_s[i];
  }
  std::printf("\n## images, 1 thread, one item at a time\n");
  std::printf("decode %.2f ms; %.2f model runs per item; ideal %.1f img/s; vigil %.1f img/s = %.3fx ideal\n",
              decode_s * 1e3, runs_per_item, 1 / ideal_s, rate1, rate1 * ideal_s);

  mo.workers = 2;
  auto m2 = vigil::Moderator::Create(mo);
  if (!m2.ok()) return Fail("moderator", m2.status());
  const double rate2 = run_items(**m2, 2, nullptr);
  if (rate2 < 0) return 1;
  std::printf("2 callers x 2 workers: %.1f img/s (%.2fx the 1-thread rate)\n", rate2, rate2 / rate1);

  // Cascade against the second model always deciding.
  bool any_cascade = false;
  for (const auto& c : policy->categories) any_cascade = any_cascade || c.cascade.has_value();
  if (any_cascade) {
    vigil::ModeratorOptions mo3 = mo;
    mo3.workers = 1;
    mo3.cascade = false;
    auto m3 = vigil::Moderator::Create(mo3);
    if (!m3.ok()) return Fail("moderator", m3.status());
    std::vector<vigil::Decision> always;
    const auto s0 = (*m3)->stats();
    const double rate3 = run_items(**m3, 1, &always);
    if (rate3 < 0) return 1;
    const double runs3 = double((*m3)->stats().model_runs - s0.model_runs) / (a.reps * jpegs.size());
    int same = 0;
    for (size_t i = 0; i < always.size(); ++i) same += always[i].outcome == with_cascade[i].outcome;
    std::printf("\n## cascade\n");
    std::printf("with cascade: %.2f model runs per item, %.1f img/s; second model always: %.2f runs, %.1f img/s;\n"
                "saving %.0f%% of the time; same outcome on %d of %zu items\n",
                runs_per_item, rate1, runs3, rate3, 100 * (1 - rate3 / rate1), same, always.size());
  }

  if (!a.video.empty()) {
    std::printf("\n## video %s, interval:1, same models\n", a.video.c_str());
    std::vector<std::string> refs;
    for (const auto& v : m.models()) refs.push_back(v.name + ":" + std::to_string(v.version));
    vigil::VideoTaggerOptions to;
    to.common.repository = a.models;
    to.models = refs;
    to.sampler = "interval:1";
    auto tagger = vigil::VideoTagger::Create(to);
    if (!tagger.ok()) return Fail("tagger", tagger.status());
    std::vector<double> tag_runs, mod_runs, early_runs;
    int frames = 0, early_frames = 0;
    for (int r = 0; r < a.reps; ++r) {
      auto t0 = Clock::now();
      auto tags = (*tagger)->Tag(a.video);
      if (!tags.ok()) return Fail("tag", tags.status());
      tag_runs.push_back(Seconds(t0, Clock::now()));
      vigil::VideoModerationOptions vo;
      vo.stop_early = false;
      t0 = Clock::now();
      auto d = (*m2)->ModerateVideo(a.video, vo);
      if (!d.ok()) return Fail("moderate video", d.status());
      mod_runs.push_back(Seconds(t0, Clock::now()));
      frames = d->frames_scored;
      vo.stop_early = true;
      t0 = Clock::now();
      auto e = (*m2)->ModerateVideo(a.video, vo);
      if (!e.ok()) return Fail("moderate video", e.status());
      early_runs.push_back(Seconds(t0, Clock::now()));
      early_frames = e->frames_scored;
    }
    const double tag = Median(tag_runs), mod = Median(mod_runs), early = Median(early_runs);
    std::printf("vigil tag %.2f s; moderate %.2f s (%d frames) = %.2fx tag's speed; with early stop %.2f s "
                "(%d frames, %.0f%% of the time saved)\n",
                tag, mod, frames, tag / mod, early, early_frames, 100 * (1 - early / mod));
  }
  return 0;
}
