// temporal_head_eval: a trainable temporal head over sequences of frame embeddings against plain
// frame averaging, on windows cut from the real clips in data/videos.
//
// What it measures (state it with the figures): each class is one source clip; an item is a
// window of W frames sampled every S seconds. Windows from the first 60% of each clip train, windows
// starting after 60% + one window length test (no frame shared), so a method must recognise a
// later, unseen part of the same footage from a short window. The frame embedding is the
// backbone's penultimate layer (MobileNetV2, 1280-d).
//   A "frame average": a linear head (liblinear logistic, C by CV) trained on single frames; a
//     window's probabilities are the mean of its frames' probabilities.
//   B "temporal pool": a linear head trained on [mean, std, max, mean |step|] of the window's
//     embeddings (src/video/temporal_pool.h).
//   C "mean pool": the same head on the mean embedding only (isolates what std/max/step add).
// Writes OUT/<method>/report.html + metrics.json (src/eval) and prints accuracy / macro-F1 / ECE.
//
// Usage: temporal_head_eval MODELS_DIR VIDEOS_DIR OUT_DIR [WINDOW=8] [STEP_S=0.25]
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "inference/linear_head.h"
#include "learn/head_training.h"
#include "video/temporal_pool.h"
#include "vigil/classifier.h"
#include "vigil/eval.h"
#include "vigil/video.h"

namespace fs = std::filesystem;
using namespace vigil;  // NOLINT

namespace {

struct Clip {
  std::string name;
  double duration = 0;
  std::vector<double> times;
  std::vector<std::vector<float>> embeddings;
};

struct Window {
  int clip = 0;
  size_t first = 0;  // frame index in the clip
  bool train = false;
};

int Fail(const Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MODELS_DIR VIDEOS_DIR OUT_DIR [WINDOW] [STEP_S]\n", argv[0]);
    return 2;
  }
  const std::string models = argv[1], videos = argv[2], out = argv[3];
  const size_t window = argc > 4 ? size_t(std::atoi(argv[4])) : 8;
  const double step = argc > 5 ? std::atof(argv[5]) : 0.25;
  ClassifierOptions co;
  co.model.repository = models;
  co.model.name = "nsfw_mobilenet_v2";
  co.with_embedding = true;
  co.max_batch = 8;
  auto classifier = ImageClassifier::Create(co);
  if (!classifier.ok()) return Fail(classifier.status());

  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(videos)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Clip> clips;
  for (const std::string& path : files) {
    VideoReaderOptions ro;
    auto spec = ParseSampler("interval:" + std::to_string(step));
    if (!spec.ok()) return Fail(spec.status());
    ro.sampler = *spec;
    ro.out_width = (*classifier)->manifest().input.width;
    ro.out_height = (*classifier)->manifest().input.height;
    auto reader = VideoReader::Open(path, ro);
    if (!reader.ok()) continue;
    Clip clip;
    clip.name = fs::path(path).stem().string();
    clip.duration = (*reader)->info().duration_s;
    std::vector<Image> batch;
    VideoFrame frame;
    for (;;) {
      auto more = (*reader)->Next(&frame);
      if (!more.ok() || !*more) break;
      clip.times.push_back(frame.timestamp_s);
      batch.push_back(std::move(frame.image));
    }
    auto preds = (*classifier)->ClassifyBatch(batch);
    if (!preds.ok()) return Fail(preds.status());
    for (Prediction& p : *preds) clip.embeddings.push_back(std::move(p.embedding));
    if (clip.embeddings.size() < 5 * window) {  // enough windows for 3-fold CV by group
      std::fprintf(stderr, "skip %s: %zu frames\n", clip.name.c_str(), clip.embeddings.size());
      continue;
    }
    std::fprintf(stderr, "%s: %.1f s, %zu frames\n", clip.name.c_str(), clip.duration,
                 clip.embeddings.size());
    clips.push_back(std::move(clip));
  }
  if (clips.size() < 2) return Fail(FailedPreconditionError("fewer than two usable clips"));

  // Windows (stride W/2) and the time split.
  std::vector<Window> windows;
  for (size_t c = 0; c < clips.size(); ++c) {
    const size_t n = clips[c].embeddings.size();
    const size_t split = size_t(0.6 * double(n));
    for (size_t first = 0; first + window <= n; first += std::max<size_t>(1, window / 2)) {
      if (first + window <= split) windows.push_back({int(c), first, true});
      else if (first >= split + window) windows.push_back({int(c), first, false});
    }
  }
  std::vector<std::string> names;
  for (const Clip& c : clips) names.push_back(c.name);
  const int k = int(clips.size());

  LinearHeadOptions ho;
  ho.folds = 3;
  ho.threads = 2;
  // A: frame head on the train part's frames.
  std::vector<std::vector<float>> fx;
  std::vector<int> fy, fgroups;
  for (size_t c = 0; c < clips.size(); ++c) {
    const size_t split = size_t(0.6 * double(clips[c].embeddings.size()));
    for (size_t i = 0; i < split; ++i) {
      fx.push_back(clips[c].embeddings[i]);
      fy.push_back(int(c));
      fgroups.push_back(int(c * 10000 + i / window));
    }
  }
  auto frame_head = TrainLinearHead(fx, fy, k, ho, fgroups);
  if (!frame_head.ok()) return Fail(frame_head.status());

  // B and C: window heads.
  auto window_features = [&](const Window& w, bool full) -> std::vector<float> {
    std::vector<std::vector<float>> seq(clips[w.clip].embeddings.begin() + w.first,
                                        clips[w.clip].embeddings.begin() + w.first + window);
    std::vector<float> f = *video::TemporalPoolFeatures(seq);
    if (!full) f.resize(seq[0].size());  // the mean only
    return f;
  };
  std::map<std::string, std::vector<std::vector<float>>> test_probs;
  std::vector<int> truth;
  for (const bool full : {true, false}) {
    std::vector<std::vector<float>> x;
    std::vector<int> y, groups;
    for (const Window& w : windows) {
      if (!w.train) continue;
      x.push_back(window_features(w, full));
      y.push_back(w.clip);
      groups.push_back(int(w.clip * 10000 + w.first / window));
    }
    auto head = TrainLinearHead(x, y, k, ho, groups);
    if (!head.ok()) return Fail(head.status());
    auto& probs = test_probs[full ? "temporal_pool" : "mean_pool"];
    for (const Window& w : windows) {
      if (w.train) continue;
      const std::vector<float> f = window_features(w, full);
      probs.push_back(head->head.Probabilities(f.data()).value());
    }
  }
  for (const Window& w : windows) {
    if (w.train) continue;
    truth.push_back(w.clip);
    std::vector<float> mean(size_t(k), 0.0f);
    for (size_t i = 0; i < window; ++i) {
      const auto p = frame_head->head.Probabilities(clips[w.clip].embeddings[w.first + i].data()).value();
      for (int c = 0; c < k; ++c) mean[size_t(c)] += p[size_t(c)] / float(window);
    }
    test_probs["frame_average"].push_back(mean);
  }
  size_t n_train = 0;
  for (const Window& w : windows) n_train += w.train;
  std::printf("%d clips (classes), window %zu frames every %.2f s (%.1f s), %zu train / %zu test windows\n",
              k, window, step, window * step, n_train, truth.size());
  std::printf("%-15s %9s %9s %7s\n", "method", "accuracy", "macro-F1", "ECE");
  for (const char* method : {"frame_average", "mean_pool", "temporal_pool"}) {
    auto e = Evaluate(truth, test_probs[method], names);
    if (!e.ok()) return Fail(e.status());
    std::printf("%-15s %9.3f %9.3f %7.3f\n", method, e->accuracy, e->macro.f1, e->calibration.ece);
    ReportOptions ro;
    ro.title = std::string("Temporal head evaluation: ") + method;
    ro.details = {{"task", "source clip of a window (time split 60/40, no shared frames)"},
                  {"window", std::to_string(window) + " frames every " + std::to_string(step) + " s"},
                  {"backbone", "nsfw_mobilenet_v2 embeddings (1280-d)"}};
    Status s = WriteHtmlReport(*e, ro, (fs::path(out) / method).string());
    if (!s.ok()) return Fail(s);
  }
  return 0;
}
