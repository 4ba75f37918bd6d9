// EvaluateFewShot: the few-shot curve of prototype heads (see include/vigil/learn.h). Embeds the
// training and test images once, then for each K and seed samples K images per class
// (SampleShots), builds the prototypes and scores the test split.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/svg_plot.h"

#include "inference/prototype_head.h"
#include "learn/head_training.h"
#include "learn/training_data.h"
#include "vigil/eval.h"
#include "vigil/learn.h"

namespace vigil {

Result<FewShotCurve> EvaluateFewShot(const TrainOptions& options, const std::vector<int>& shots, int seeds) {
  const auto start = std::chrono::steady_clock::now();
  if (shots.empty()) return InvalidArgumentError("few-shot curve: no K values");
  for (int k : shots) if (k < 1) return InvalidArgumentError("few-shot curve: K must be >= 1");
  if (seeds < 1 || seeds > 1000) return InvalidArgumentError("few-shot curve: seeds must be in 1..1000");
  VIGIL_ASSIGN_OR_RETURN(Splits splits, LoadSplits(options.data, 0, options.seed));
  if (splits.test.items.empty()) return InvalidArgumentError("few-shot curve: the data has no test/ split");
  VIGIL_ASSIGN_OR_RETURN(PreparedSource source, PrepareFeatureSource(options.backbone, options.backbone_model));
  std::vector<EmbedJob> jobs;
  for (const auto& item : splits.train.items) jobs.push_back({item.path, 0});
  for (const auto& item : splits.test.items) jobs.push_back({item.path, 0});
  EmbedOptions eopts;
  eopts.threads = options.threads;
  eopts.cache_dir = options.cache_dir;
  eopts.seed = options.seed;
  if (options.progress) eopts.progress = [&](size_t d, size_t t) { options.progress("embed", d, t); };
  VIGIL_ASSIGN_OR_RETURN(auto x, EmbedAll(source.source, jobs, eopts, nullptr));
  const size_t n_train = splits.train.items.size();
  std::vector<std::vector<float>> test_x(x.begin() + n_train, x.end());
  std::vector<int> test_y;
  for (const auto& item : splits.test.items) test_y.push_back(item.label);
  // Row of each training path (SampleShots keeps items, so match by position in the dataset).
  FewShotCurve curve;
  curve.backbone = source.name;
  curve.test_count = static_cast<int>(test_y.size());
  const int num_classes = static_cast<int>(splits.train.classes.size());
  size_t done = 0;
  for (int k : shots) {
    FewShotPoint point;
    point.shots = k;
    std::vector<double> acc;
    for (int s = 0; s < seeds; ++s) {
      const Dataset sample = SampleShots(splits.train, k, options.seed + static_cast<uint64_t>(s));
      std::vector<std::vector<float>> tx;
      std::vector<int> ty;
      size_t j = 0;
      for (size_t i = 0; i < n_train && j < sample.items.size(); ++i) {
        if (splits.train.items[i].path == sample.items[j].path) {
          tx.push_back(x[i]);
          ty.push_back(sample.items[j].label);
          ++j;
        }
      }
      VIGIL_ASSIGN_OR_RETURN(auto head, PrototypeHead::Train(tx, ty, num_classes, PrototypeOptions()));
      std::vector<std::vector<float>> p;
      for (const auto& r : test_x) {
        VIGIL_ASSIGN_OR_RETURN(std::vector<float> probs, head->Probabilities(r.data()));
        p.push_back(std::move(probs));
      }
      VIGIL_ASSIGN_OR_RETURN(Evaluation e, Evaluate(test_y, p, splits.train.classes));
      acc.push_back(e.accuracy);
      point.macro_f1.push_back(e.macro.f1);
      if (options.progress) options.progress("fit", ++done, shots.size() * seeds);
    }
    auto mean_sd = [](const std::vector<double>& v, double* mean, double* sd) {
      double m = 0, ss = 0;
      for (double a : v) m += a;
      m /= v.size();
      for (double a : v) ss += (a - m) * (a - m);
      *mean = m;
      *sd = v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : 0.0;
    };
    point.runs = seeds;
    mean_sd(acc, &point.accuracy_mean, &point.accuracy_sd);
    mean_sd(point.macro_f1, &point.macro_f1_mean, &point.macro_f1_sd);
    curve.points.push_back(point);
  }
  curve.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return curve;
}

Status WriteFewShotReport(const FewShotCurve& curve, const std::string& dir) {
  if (curve.points.empty()) return InvalidArgumentError("few-shot report: empty curve");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir + ": " + ec.message());
  int k_max = 1;
  for (const auto& p : curve.points) k_max = std::max(k_max, p.shots);
  svg::Series f1{"macro-F1 (mean)", {}, {}}, lo{"macro-F1 − sd", {}, {}}, hi{"macro-F1 + sd", {}, {}},
      acc{"accuracy (mean)", {}, {}};
  for (const auto& p : curve.points) {
    const double x = static_cast<double>(p.shots) / k_max;
    f1.x.push_back(x), f1.y.push_back(p.macro_f1_mean);
    lo.x.push_back(x), lo.y.push_back(std::max(0.0, p.macro_f1_mean - p.macro_f1_sd));
    hi.x.push_back(x), hi.y.push_back(std::min(1.0, p.macro_f1_mean + p.macro_f1_sd));
    acc.x.push_back(x), acc.y.push_back(p.accuracy_mean);
  }
  svg::LinePlotOptions plot;
  plot.title = "Few-shot: prototype head on " + curve.backbone;
  plot.x_label = "shots per class K / " + std::to_string(k_max);
  plot.y_label = "score on the test split";
  std::ostringstream o;
  o << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>vigil few-shot curve</title>"
    << "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
    << "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>"
    << "<h1>Few-shot curve</h1><p>Prototype head on <b>" << svg::Escape(curve.backbone) << "</b>, "
    << curve.test_count << " test images; mean ± sample standard deviation over the seeds.</p>"
    << "<table><tr><th>K</th><th>runs</th><th>accuracy</th><th>macro-F1</th></tr>";
  for (const auto& p : curve.points) {
    o << "<tr><td>" << p.shots << "</td><td>" << p.runs << "</td><td>" << svg::Fixed(p.accuracy_mean, 4) << " ± "
      << svg::Fixed(p.accuracy_sd, 4) << "</td><td>" << svg::Fixed(p.macro_f1_mean, 4) << " ± "
      << svg::Fixed(p.macro_f1_sd, 4) << "</td></tr>";
  }
  o << "</table>" << svg::LinePlot({f1, lo, hi, acc}, plot) << "</body></html>\n";
  const std::string path = (std::filesystem::path(dir) / "few_shot.html").string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << o.str();
  if (!out) return InternalError("cannot write " + path);
  return Status::Ok();
}

}  // namespace vigil
