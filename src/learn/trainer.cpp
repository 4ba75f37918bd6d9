// TrainClassifier: dataset → backbone embeddings → linear head → temperature → evaluation →
// ONNX export into the model repository (see include/vigil/learn.h).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "learn/augment.h"
#include "learn/dataset.h"
#include "learn/embedder.h"
#include "learn/linear_head.h"
#include "learn/onnx_export.h"
#include "vigil/classifier.h"
#include "vigil/eval.h"
#include "vigil/learn.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Stratified hold-out: about `fraction` of each class (at least 1 if the class has >= 2 items).
void SplitValidation(const Dataset& all, double fraction, uint64_t seed, Dataset* train, Dataset* val) {
  train->classes = val->classes = all.classes;
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::vector<std::vector<LabelledImage>> by_class(all.classes.size());
  for (const auto& item : all.items) by_class[item.label].push_back(item);
  for (auto& items : by_class) {
    std::shuffle(items.begin(), items.end(), rng);
    size_t n_val = static_cast<size_t>(items.size() * fraction + 0.5);
    if (n_val == 0 && fraction > 0 && items.size() >= 2) n_val = 1;
    if (n_val >= items.size()) n_val = items.size() - 1;
    for (size_t i = 0; i < items.size(); ++i) (i < n_val ? val : train)->items.push_back(items[i]);
  }
}

std::vector<std::vector<float>> Probabilities(const LinearHead& head, const std::vector<std::vector<float>>& x) {
  std::vector<std::vector<float>> p;
  p.reserve(x.size());
  for (const auto& r : x) p.push_back(head.Probabilities(r.data()));
  return p;
}

Result<Evaluation> EvaluateSplit(const LinearHead& head, const std::vector<std::vector<float>>& x,
                                 const std::vector<int>& y, const std::vector<std::string>& classes,
                                 SplitScore* score) {
  VIGIL_ASSIGN_OR_RETURN(Evaluation e, Evaluate(y, Probabilities(head, x), classes));
  score->count = static_cast<int>(y.size());
  score->accuracy = e.accuracy;
  score->macro_f1 = e.macro.f1;
  return e;
}

std::vector<int> Labels(const Dataset& d) {
  std::vector<int> y;
  for (const auto& item : d.items) y.push_back(item.label);
  return y;
}

}  // namespace

Result<TrainReport> TrainClassifier(const TrainOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.data.empty()) return InvalidArgumentError("no training data given");
  if (options.install && options.output_name.empty()) return InvalidArgumentError("no output model name given");
  if (options.views < 1) return InvalidArgumentError("views must be >= 1");
  if (options.val_split < 0 || options.val_split >= 0.9) return InvalidArgumentError("val_split must be in [0, 0.9)");
  LinearHeadOptions head_options;
  VIGIL_ASSIGN_OR_RETURN(head_options.kind, ParseHeadKind(options.head));
  VIGIL_ASSIGN_OR_RETURN(head_options.norm, ParseFeatureNorm(options.normalization));
  if (options.install && head_options.norm == FeatureNorm::kL2) {
    return UnsupportedError("l2 normalisation cannot be exported yet (the runtime lacks ReduceL2/Div); "
                            "use standardize, or train without installing");
  }
  if (!options.c_grid.empty()) head_options.c_grid = options.c_grid;
  head_options.folds = options.folds;
  head_options.balance_classes = options.balance_classes;
  head_options.seed = options.seed;
  head_options.threads = options.threads;
  VIGIL_ASSIGN_OR_RETURN(AugmentOptions augment, ParseAugmentOptions(options.augment));
  if (options.views > 1 && !augment.any()) {
    return InvalidArgumentError("views > 1 needs an augmentation (crop, flip, jitter)");
  }

  // Data: <data>/train + <data>/test, or everything is training data.
  Dataset train_all, test;
  std::error_code ec;
  const bool has_split = fs::is_directory(fs::path(options.data) / "train", ec) &&
                         fs::is_directory(fs::path(options.data) / "test", ec);
  if (has_split) {
    VIGIL_ASSIGN_OR_RETURN(train_all, LoadFolderDataset((fs::path(options.data) / "train").string()));
    VIGIL_ASSIGN_OR_RETURN(Dataset raw_test, LoadFolderDataset((fs::path(options.data) / "test").string()));
    VIGIL_ASSIGN_OR_RETURN(test, RemapClasses(raw_test, train_all.classes));
  } else {
    VIGIL_ASSIGN_OR_RETURN(train_all, LoadDataset(options.data));
  }
  Dataset train, val;
  if (options.val_split > 0) {
    SplitValidation(train_all, options.val_split, options.seed, &train, &val);
  } else {
    train = train_all;
    val.classes = train_all.classes;
  }
  const int num_classes = static_cast<int>(train.classes.size());

  // Backbone.
  ClassifierOptions copts;
  copts.model_repository = options.model_repository;
  copts.model = options.backbone;
  copts.version = options.backbone_version;
  copts.backend = options.backend;
  copts.with_embedding = true;
  VIGIL_ASSIGN_OR_RETURN(auto classifier, ImageClassifier::Create(copts));
  const ModelManifest& backbone = classifier->manifest();
  if (backbone.embedding_output.empty()) {
    return FailedPreconditionError("model '" + backbone.name + "' has no embedding output to train on");
  }
  TrainReport report;
  report.classes = train.classes;
  report.backbone = backbone.name + ":" + std::to_string(backbone.version);

  // Embedding jobs: training images × views, then validation and test images (view 0).
  std::vector<EmbedJob> jobs;
  std::vector<int> train_y, train_groups, train_view0;  // rows of the training matrix
  for (size_t i = 0; i < train.items.size(); ++i) {
    for (int v = 0; v < options.views; ++v) {
      if (v == 0) train_view0.push_back(static_cast<int>(jobs.size()));
      jobs.push_back({train.items[i].path, v});
      train_y.push_back(train.items[i].label);
      train_groups.push_back(static_cast<int>(i));
    }
  }
  const size_t val_begin = jobs.size();
  for (const auto& item : val.items) jobs.push_back({item.path, 0});
  const size_t test_begin = jobs.size();
  for (const auto& item : test.items) jobs.push_back({item.path, 0});

  EmbedOptions eopts;
  eopts.backbone_key = report.backbone;
  eopts.augment = augment;
  eopts.seed = options.seed;
  eopts.threads = options.threads;
  eopts.cache_dir = options.cache_dir;
  if (options.progress) eopts.progress = [&](size_t d, size_t t) { options.progress("embed", d, t); };
  EmbedStats stats;
  VIGIL_ASSIGN_OR_RETURN(auto embeddings, EmbedAll(*classifier, jobs, eopts, &stats));
  report.embeddings_computed = stats.computed;
  report.embeddings_cached = stats.cached;
  report.embed_seconds = Seconds(start);

  // Head.
  const auto fit_start = std::chrono::steady_clock::now();
  if (options.progress) options.progress("fit", 0, 1);
  std::vector<std::vector<float>> train_x(embeddings.begin(), embeddings.begin() + val_begin);
  std::vector<std::vector<float>> val_x(embeddings.begin() + val_begin, embeddings.begin() + test_begin);
  std::vector<std::vector<float>> test_x(embeddings.begin() + test_begin, embeddings.end());
  VIGIL_ASSIGN_OR_RETURN(LinearHeadFit fit, TrainLinearHead(train_x, train_y, num_classes, head_options, train_groups));
  LinearHead head = fit.head;
  report.c = head.c;
  for (const auto& p : fit.cv) {
    if (p.c == head.c) report.cv_macro_f1 = p.macro_f1;
  }
  // Temperature: on the validation split, else on out-of-fold scores of the original views.
  const std::vector<int> val_y = Labels(val), test_y = Labels(test);
  std::vector<std::vector<float>> calib_logits;
  std::vector<int> calib_y;
  if (!val_x.empty()) {
    for (const auto& r : val_x) calib_logits.push_back(head.Logits(r.data()));
    calib_y = val_y;
  } else if (!fit.oof_logits.empty()) {
    for (int row : train_view0) {
      calib_logits.push_back(fit.oof_logits[row]);
      calib_y.push_back(train_y[row]);
    }
  }
  if (!calib_logits.empty()) {
    VIGIL_ASSIGN_OR_RETURN(TemperatureFit t, FitTemperature(calib_y, calib_logits, ScoreKind::kLogits));
    head.temperature = static_cast<float>(t.temperature);
  }
  report.temperature = head.temperature;
  report.fit_seconds = Seconds(fit_start);
  if (options.progress) options.progress("fit", 1, 1);

  // Evaluation.
  std::vector<std::vector<float>> train_x0;
  std::vector<int> train_y0;
  for (int row : train_view0) {
    train_x0.push_back(train_x[row]);
    train_y0.push_back(train_y[row]);
  }
  VIGIL_ASSIGN_OR_RETURN(Evaluation train_eval, EvaluateSplit(head, train_x0, train_y0, train.classes, &report.train));
  Evaluation report_eval = train_eval;
  std::string report_split = "training images";
  if (!val_x.empty()) {
    VIGIL_ASSIGN_OR_RETURN(report_eval, EvaluateSplit(head, val_x, val_y, train.classes, &report.validation));
    report_split = "validation split";
  }
  if (!test_x.empty()) {
    VIGIL_ASSIGN_OR_RETURN(report_eval, EvaluateSplit(head, test_x, test_y, train.classes, &report.test));
    report_split = "test split";
  }

  // Export.
  if (options.install) {
    if (options.progress) options.progress("export", 0, 1);
    VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::OpenOrCreate(options.model_repository));
    VIGIL_ASSIGN_OR_RETURN(ModelEntry backbone_entry, repo->Find(backbone.name, backbone.version));
    ModelManifest m = backbone;
    m.name = options.output_name;
    m.version = options.output_version > 0 ? options.output_version : repo->NextVersion(options.output_name);
    m.labels = train.classes;
    m.probabilities_output = backbone.probabilities_output.empty() ? "probabilities" : backbone.probabilities_output;
    char desc[256];
    std::snprintf(desc, sizeof(desc), "%s head (C=%g, T=%.3f, %s) on %s, %d classes, trained by vigil train",
                  HeadKindName(head.kind), head.c, head.temperature, FeatureNormName(head.norm),
                  report.backbone.c_str(), num_classes);
    m.description = desc;
    m.source = "vigil train " + options.data;
    HeadExportOptions xopts;
    xopts.embedding_output = backbone.embedding_output;
    xopts.probabilities_output = m.probabilities_output;
    const std::string tmp = (fs::temp_directory_path(ec) /
                             ("vigil-train-" + std::to_string(Fnv1a64(&head.weights[0], sizeof(float) * head.weights.size())) + ".onnx")).string();
    Status exported = ExportHeadModel(backbone_entry.onnx_path, head, xopts, tmp);
    if (exported.ok()) {
      auto added = repo->Add(m, tmp, options.overwrite);
      if (!added.ok()) exported = added.status();
      else report.model_directory = added->directory;
    }
    fs::remove(tmp, ec);
    VIGIL_RETURN_IF_ERROR(exported);
    report.model_name = m.name;
    report.model_version = m.version;
    if (options.progress) options.progress("export", 1, 1);
  }

  if (!options.report_dir.empty()) {
    ReportOptions ropts;
    ropts.title = "vigil train: " + (options.install ? report.model_name + ":" + std::to_string(report.model_version)
                                                     : std::string("(not installed)"));
    ropts.details = {{"data", options.data},
                     {"split", report_split},
                     {"backbone", report.backbone},
                     {"head", std::string(HeadKindName(head.kind)) + ", " + FeatureNormName(head.norm)},
                     {"C", std::to_string(head.c)},
                     {"temperature", std::to_string(head.temperature)},
                     {"views", std::to_string(options.views) + " (" + AugmentSpec(augment) + ")"}};
    VIGIL_RETURN_IF_ERROR(WriteHtmlReport(report_eval, ropts, options.report_dir));
    report.report_directory = options.report_dir;
  }
  report.total_seconds = Seconds(start);
  return report;
}

}  // namespace vigil
