// TrainClassifier: dataset → feature vectors (backbone embeddings and/or classical descriptors) →
// head (linear, RBF SVM, k-NN, prototypes) → calibration → evaluation → export into the model
// repository (see include/vigil/learn.h).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "inference/head_file.h"
#include "inference/knn_head.h"
#include "inference/linear_head.h"
#include "inference/prototype_head.h"
#include "inference/rbf_svm_head.h"
#include "learn/augment.h"
#include "learn/head_training.h"
#include "learn/onnx_export.h"
#include "learn/training_data.h"
#include "vigil/eval.h"
#include "vigil/learn.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<int> Labels(const Dataset& d) {
  std::vector<int> y;
  for (const auto& item : d.items) y.push_back(item.label);
  return y;
}

Result<Evaluation> EvaluateSplit(const Head& head, const std::vector<std::vector<float>>& x,
                                 const std::vector<int>& y, const std::vector<std::string>& classes,
                                 SplitScore* score) {
  std::vector<std::vector<float>> p;
  p.reserve(x.size());
  for (const auto& r : x) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<float> probs, head.Probabilities(r.data()));
    p.push_back(std::move(probs));
  }
  VIGIL_ASSIGN_OR_RETURN(Evaluation e, Evaluate(y, p, classes));
  score->count = static_cast<int>(y.size());
  score->accuracy = e.accuracy;
  score->macro_f1 = e.macro.f1;
  return e;
}

// The training matrix: every training image × views, plus which rows are the originals.
struct TrainMatrix {
  std::vector<std::vector<float>> x;
  std::vector<int> y, groups, view0;
};

// Fits the requested head; fills the report's parameter fields.
Result<std::unique_ptr<Head>> FitHead(const TrainOptions& o, FeatureNorm norm, const TrainMatrix& m,
                                      const std::vector<std::vector<float>>& val_x, const std::vector<int>& val_y,
                                      int num_classes, TrainReport* report) {
  if (o.head == "logistic" || o.head == "linear-svm") {
    LinearHeadOptions ho;
    VIGIL_ASSIGN_OR_RETURN(ho.kind, ParseHeadKind(o.head));
    ho.norm = norm;
    if (!o.c_grid.empty()) ho.c_grid = o.c_grid;
    ho.folds = o.folds;
    ho.balance_classes = o.balance_classes;
    ho.seed = o.seed;
    ho.threads = o.threads;
    VIGIL_ASSIGN_OR_RETURN(LinearHeadFit fit, TrainLinearHead(m.x, m.y, num_classes, ho, m.groups));
    auto head = std::make_unique<LinearHead>(fit.head);
    for (const auto& p : fit.cv) {
      if (p.c == head->c) report->cv_macro_f1 = p.macro_f1;
    }
    // Temperature: on the validation split, else on out-of-fold scores of the original views.
    std::vector<std::vector<float>> calib_logits;
    std::vector<int> calib_y;
    if (!val_x.empty()) {
      for (const auto& r : val_x) calib_logits.push_back(head->Logits(r.data()));
      calib_y = val_y;
    } else if (!fit.oof_logits.empty()) {
      for (int row : m.view0) {
        calib_logits.push_back(fit.oof_logits[row]);
        calib_y.push_back(m.y[row]);
      }
    }
    if (!calib_logits.empty()) {
      VIGIL_ASSIGN_OR_RETURN(TemperatureFit t, FitTemperature(calib_y, calib_logits, ScoreKind::kLogits));
      head->temperature = static_cast<float>(t.temperature);
    }
    report->c = head->c;
    report->temperature = head->temperature;
    return std::unique_ptr<Head>(std::move(head));
  }
  if (o.head == "rbf-svm") {
    RbfSvmOptions ro;
    ro.norm = norm;
    if (!o.c_grid.empty()) ro.c_grid = o.c_grid;
    if (!o.gamma_grid.empty()) ro.gamma_scale_grid = o.gamma_grid;
    ro.folds = o.folds;
    ro.balance_classes = o.balance_classes;
    ro.seed = o.seed;
    ro.threads = o.threads;
    std::vector<RbfSvmCvPoint> cv;
    VIGIL_ASSIGN_OR_RETURN(auto head, RbfSvmHead::Train(m.x, m.y, num_classes, ro, m.groups, &cv));
    for (const auto& p : cv) {
      if (p.c == head->c() && p.gamma == head->gamma()) report->cv_macro_f1 = p.macro_f1;
    }
    report->c = head->c();
    report->gamma = head->gamma();
    return std::unique_ptr<Head>(std::move(head));
  }
  if (o.head == "knn") {
    KnnOptions ko;
    ko.norm = norm;
    if (!o.k_grid.empty()) ko.k_grid = o.k_grid;
    ko.folds = o.folds;
    ko.balance_classes = o.balance_classes;
    ko.seed = o.seed;
    std::vector<KnnCvPoint> cv;
    VIGIL_ASSIGN_OR_RETURN(auto head, KnnHead::Train(m.x, m.y, num_classes, ko, m.groups, &cv));
    for (const auto& p : cv) {
      if (p.k == head->k() && p.metric == head->metric()) report->cv_macro_f1 = p.macro_f1;
    }
    report->k = head->k();
    return std::unique_ptr<Head>(std::move(head));
  }
  if (o.head == "prototype") {
    VIGIL_ASSIGN_OR_RETURN(auto head, PrototypeHead::Train(m.x, m.y, num_classes, PrototypeOptions(), m.groups));
    report->temperature = 1.0 / head->scale();
    return std::unique_ptr<Head>(std::move(head));
  }
  return InvalidArgumentError("unknown head '" + o.head + "' (logistic, linear-svm, rbf-svm, knn, prototype)");
}

Result<FeatureNorm> ResolveNorm(const TrainOptions& o, const PreparedSource& source) {
  if (o.head == "prototype") {
    if (o.normalization != "auto" && o.normalization != "l2") {
      return InvalidArgumentError("the prototype head always L2-normalises (--norm auto or l2)");
    }
    return FeatureNorm::kNone;  // the head normalises itself
  }
  if (o.normalization != "auto") return ParseFeatureNorm(o.normalization);
  const bool onnx_only = source.inputs.size() == 1 && source.inputs[0] == "embedding";
  if (o.head == "knn") return FeatureNorm::kNone;
  if ((o.head == "logistic" || o.head == "linear-svm") && onnx_only) return FeatureNorm::kNone;
  return FeatureNorm::kStandardize;
}

std::string TempPath(const std::string& what) {
  static std::atomic<int> counter{0};
  std::error_code ec;
  return (fs::temp_directory_path(ec) /
          ("vigil-train-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + what)).string();
}

// Installs the head: one ONNX file for linear/prototype heads on a lone ONNX backbone, else the
// backbone's model.onnx (if any) + head.json and its sidecars.
Status Install(const TrainOptions& o, const PreparedSource& source, const Head& head,
               const std::vector<std::string>& classes, TrainReport* report) {
  VIGIL_ASSIGN_OR_RETURN(auto repo, ModelRepository::OpenOrCreate(o.backbone_model.repository));
  const bool onnx_only = source.inputs.size() == 1 && source.inputs[0] == "embedding";
  ModelManifest m;
  std::string backbone_onnx;
  if (source.classifier) {
    const ModelManifest& b = source.classifier->manifest();
    VIGIL_ASSIGN_OR_RETURN(ModelEntry entry, repo->Find(b.name, b.version));
    backbone_onnx = entry.onnx_path;
    m = b;
  } else {
    // Classical features only: no network. The input size is the decode size of the descriptors.
    m.input.name = "";
    m.input.width = m.input.height = static_cast<int>(source.source.decode.min_width);
    m.probabilities_output = "";
    m.embedding_output = "";
    m.embedding_size = 0;
    m.backend = "auto";
  }
  m.name = o.output_name;
  m.version = o.output_version > 0 ? o.output_version : repo->NextVersion(o.output_name);
  m.labels = classes;
  m.description = head.Describe() + " on " + report->backbone + ", " + std::to_string(classes.size()) +
                  " classes, trained by vigil train";
  m.source = "vigil train " + o.data;
  std::vector<std::string> temp_files;
  std::string onnx_file;
  std::vector<std::string> extra;
  Status status = Status::Ok();
  const auto* linear = dynamic_cast<const LinearHead*>(&head);
  const auto* proto = dynamic_cast<const PrototypeHead*>(&head);
  if (onnx_only && (linear || proto)) {
    HeadExportOptions xopts;
    xopts.embedding_output = m.embedding_output;
    m.probabilities_output = m.probabilities_output.empty() ? "probabilities" : m.probabilities_output;
    xopts.probabilities_output = m.probabilities_output;
    onnx_file = TempPath(".onnx");
    temp_files.push_back(onnx_file);
    status = linear ? ExportHeadModel(backbone_onnx, *linear, xopts, onnx_file)
                    : ExportHeadModel(backbone_onnx, *proto, xopts, onnx_file);
    report->export_format = "onnx";
  } else {
    const std::string dir = TempPath("-head");
    auto files = SaveHeadFile(head, dir);
    if (files.ok()) {
      extra = *files;
      m.head.file = kHeadFileName;
      m.head.inputs = source.inputs;
      onnx_file = backbone_onnx;  // the backbone as is: the head reads its embedding output
    } else {
      status = files.status();
    }
    temp_files.push_back(dir);
    report->export_format = "head file";
  }
  if (status.ok()) {
    auto added = repo->Add(m, onnx_file, o.overwrite, extra);
    if (added.ok()) {
      report->model_directory = added->directory;
    } else {
      status = added.status();
    }
  }
  std::error_code ec;
  for (const auto& f : temp_files) fs::remove_all(f, ec);
  VIGIL_RETURN_IF_ERROR(status);
  report->model_name = m.name;
  report->model_version = m.version;
  return Status::Ok();
}

}  // namespace

Result<TrainReport> TrainClassifier(const TrainOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.data.empty()) return InvalidArgumentError("no training data given");
  if (options.install && options.output_name.empty()) return InvalidArgumentError("no output model name given");
  if (options.views < 1) return InvalidArgumentError("views must be >= 1");
  if (options.shots < 0) return InvalidArgumentError("shots must be >= 0");
  if (options.val_split < 0 || options.val_split >= 0.9) return InvalidArgumentError("val_split must be in [0, 0.9)");
  static const char* kHeads[] = {"logistic", "linear-svm", "rbf-svm", "knn", "prototype"};
  if (std::find(std::begin(kHeads), std::end(kHeads), options.head) == std::end(kHeads)) {
    return InvalidArgumentError("unknown head '" + options.head + "' (logistic, linear-svm, rbf-svm, knn, prototype)");
  }
  if (options.normalization != "auto") VIGIL_RETURN_IF_ERROR(ParseFeatureNorm(options.normalization).status());
  VIGIL_ASSIGN_OR_RETURN(AugmentOptions augment, ParseAugmentOptions(options.augment));
  if (options.views > 1 && !augment.any()) {
    return InvalidArgumentError("views > 1 needs an augmentation (crop, flip, jitter)");
  }

  VIGIL_ASSIGN_OR_RETURN(Splits splits, LoadSplits(options.data, options.val_split, options.seed));
  const Dataset train = SampleShots(splits.train, options.shots, options.seed);
  const Dataset& val = splits.val;
  const Dataset& test = splits.test;
  const int num_classes = static_cast<int>(train.classes.size());

  VIGIL_ASSIGN_OR_RETURN(PreparedSource source, PrepareFeatureSource(options.backbone, options.backbone_model));
  VIGIL_ASSIGN_OR_RETURN(FeatureNorm norm, ResolveNorm(options, source));
  TrainReport report;
  report.classes = train.classes;
  report.backbone = source.name;
  report.head = options.head;

  // Embedding jobs: training images × views, then validation and test images (view 0).
  std::vector<EmbedJob> jobs;
  TrainMatrix m;
  for (size_t i = 0; i < train.items.size(); ++i) {
    for (int v = 0; v < options.views; ++v) {
      if (v == 0) m.view0.push_back(static_cast<int>(jobs.size()));
      jobs.push_back({train.items[i].path, v});
      m.y.push_back(train.items[i].label);
      m.groups.push_back(static_cast<int>(i));
    }
  }
  const size_t val_begin = jobs.size();
  for (const auto& item : val.items) jobs.push_back({item.path, 0});
  const size_t test_begin = jobs.size();
  for (const auto& item : test.items) jobs.push_back({item.path, 0});

  EmbedOptions eopts;
  eopts.augment = augment;
  eopts.seed = options.seed;
  eopts.threads = options.threads;
  eopts.cache_dir = options.cache_dir;
  if (options.progress) eopts.progress = [&](size_t d, size_t t) { options.progress("embed", d, t); };
  EmbedStats stats;
  VIGIL_ASSIGN_OR_RETURN(auto embeddings, EmbedAll(source.source, jobs, eopts, &stats));
  report.embeddings_computed = stats.computed;
  report.embeddings_cached = stats.cached;
  report.embed_seconds = Seconds(start);
  report.feature_dim = embeddings.empty() ? 0 : static_cast<int>(embeddings[0].size());

  // Head.
  const auto fit_start = std::chrono::steady_clock::now();
  if (options.progress) options.progress("fit", 0, 1);
  m.x.assign(embeddings.begin(), embeddings.begin() + val_begin);
  std::vector<std::vector<float>> val_x(embeddings.begin() + val_begin, embeddings.begin() + test_begin);
  std::vector<std::vector<float>> test_x(embeddings.begin() + test_begin, embeddings.end());
  const std::vector<int> val_y = Labels(val), test_y = Labels(test);
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Head> head, FitHead(options, norm, m, val_x, val_y, num_classes, &report));
  report.head_description = head->Describe();
  report.fit_seconds = Seconds(fit_start);
  if (options.progress) options.progress("fit", 1, 1);

  // Evaluation.
  std::vector<std::vector<float>> train_x0;
  std::vector<int> train_y0;
  for (int row : m.view0) {
    train_x0.push_back(m.x[row]);
    train_y0.push_back(m.y[row]);
  }
  VIGIL_ASSIGN_OR_RETURN(Evaluation report_eval, EvaluateSplit(*head, train_x0, train_y0, train.classes, &report.train));
  std::string report_split = "training images";
  if (!val_x.empty()) {
    VIGIL_ASSIGN_OR_RETURN(report_eval, EvaluateSplit(*head, val_x, val_y, train.classes, &report.validation));
    report_split = "validation split";
  }
  if (!test_x.empty()) {
    VIGIL_ASSIGN_OR_RETURN(report_eval, EvaluateSplit(*head, test_x, test_y, train.classes, &report.test));
    report_split = "test split";
  }

  if (options.install) {
    if (options.progress) options.progress("export", 0, 1);
    VIGIL_RETURN_IF_ERROR(Install(options, source, *head, train.classes, &report));
    if (options.progress) options.progress("export", 1, 1);
  }

  if (!options.report_dir.empty()) {
    ReportOptions ropts;
    ropts.title = "vigil train: " + (options.install ? report.model_name + ":" + std::to_string(report.model_version)
                                                     : std::string("(not installed)"));
    ropts.details = {{"data", options.data},
                     {"split", report_split},
                     {"backbone", report.backbone},
                     {"head", report.head_description},
                     {"training images", std::to_string(train.items.size()) +
                                             (options.shots > 0 ? " (" + std::to_string(options.shots) + " per class)" : "")},
                     {"views", std::to_string(options.views) + " (" + AugmentSpec(augment) + ")"}};
    VIGIL_RETURN_IF_ERROR(WriteHtmlReport(report_eval, ropts, options.report_dir));
    report.report_directory = options.report_dir;
  }
  report.total_seconds = Seconds(start);
  return report;
}

}  // namespace vigil
