// `vigil train DATA --out NAME[:VERSION]`: transfer learning. Embeds DATA's images with a frozen
// backbone, trains a linear head (liblinear; C by cross-validation), fits a temperature, evaluates
// on DATA/test if present, and installs backbone + head as one ONNX model in the repository
// (vigil::TrainClassifier, include/vigil/learn.h). Prints a summary; --json prints it as JSON.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "vigil/learn.h"
#include "vigil/model_repository.h"

namespace vigil::cli {
namespace {

struct TrainArgs {
  std::string data;
  std::string out;
  std::string models_dir;
  std::string backbone = "nsfw_mobilenet_v2";
  std::string head = "logistic";
  std::string norm = "none";
  std::string augment;
  int views = 1;
  double val_split = 0;
  uint64_t seed = 1;
  int threads = 2;
  std::string cache_dir;
  std::string report_dir;
  std::string backend = "auto";
  std::vector<double> c_grid;
  int folds = 5;
  bool overwrite = false;
  bool dry_run = false;
  bool json = false;
  bool quiet = false;
};

void PrintSplit(const char* name, const SplitScore& s) {
  if (s.count == 0) return;
  std::printf("  %-10s %4d images  accuracy %.4f  macro-F1 %.4f\n", name, s.count, s.accuracy, s.macro_f1);
}

int RunTrain(const TrainArgs& args) {
  TrainOptions options;
  options.data = args.data;
  options.model_repository = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  auto backbone = ParseModelRef(args.backbone);
  if (!backbone.ok()) return ReportError(backbone.status());
  options.backbone = backbone->name;
  options.backbone_version = backbone->version;
  options.install = !args.dry_run;
  if (!args.dry_run) {
    if (args.out.empty()) {
      std::fprintf(stderr, "error: --out NAME[:VERSION] is required (or --dry-run)\n");
      return kExitUsage;
    }
    auto out = ParseModelRef(args.out);
    if (!out.ok()) return ReportError(out.status());
    options.output_name = out->name;
    options.output_version = out->version;
  }
  options.overwrite = args.overwrite;
  options.head = args.head;
  options.normalization = args.norm;
  options.augment = args.augment;
  options.views = args.views;
  if (args.views > 1 && args.augment.empty()) options.augment = "crop,flip,jitter";
  options.val_split = args.val_split;
  options.seed = args.seed;
  options.threads = args.threads;
  options.cache_dir = args.cache_dir;
  options.report_dir = args.report_dir;
  options.backend = args.backend;
  options.c_grid = args.c_grid;
  options.folds = args.folds;

  std::mutex mu;
  std::unique_ptr<ProgressBar> bar;
  std::string stage;
  options.progress = [&](const std::string& s, size_t done, size_t total) {
    if (args.quiet) return;
    std::lock_guard<std::mutex> lock(mu);
    if (s != stage) {
      if (bar) bar->Finish();
      bar.reset();
      stage = s;
      if (s == "embed") {
        bar = std::make_unique<ProgressBar>(total, true);
      } else if (done == 0) {
        std::fprintf(stderr, s == "fit" ? "fitting the head (cross-validation)...\n" : "exporting...\n");
      }
    }
    if (bar && s == "embed") bar->Tick(false);
  };
  auto report = TrainClassifier(options);
  if (bar) bar->Finish();
  if (!report.ok()) return ReportError(report.status());
  const TrainReport& r = *report;
  if (args.json) {
    auto split = [](const SplitScore& s) {
      return nlohmann::json{{"count", s.count}, {"accuracy", s.accuracy}, {"macro_f1", s.macro_f1}};
    };
    nlohmann::json j{{"model", r.model_name}, {"version", r.model_version}, {"directory", r.model_directory},
                     {"backbone", r.backbone}, {"classes", r.classes}, {"c", r.c},
                     {"cv_macro_f1", r.cv_macro_f1}, {"temperature", r.temperature},
                     {"train", split(r.train)}, {"validation", split(r.validation)}, {"test", split(r.test)},
                     {"embeddings_computed", r.embeddings_computed}, {"embeddings_cached", r.embeddings_cached},
                     {"embed_seconds", r.embed_seconds}, {"fit_seconds", r.fit_seconds},
                     {"total_seconds", r.total_seconds}};
    if (!r.report_directory.empty()) j["report"] = r.report_directory;
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  if (!r.model_directory.empty()) {
    std::printf("trained %s:%d in %s\n", r.model_name.c_str(), r.model_version, r.model_directory.c_str());
  } else {
    std::printf("trained (dry run, not installed)\n");
  }
  std::printf("  backbone   %s, head %s (%s), C %g (cv macro-F1 %.4f), temperature %.3f\n", r.backbone.c_str(),
              args.head.c_str(), args.norm.c_str(), r.c, r.cv_macro_f1, r.temperature);
  std::printf("  classes    %zu:", r.classes.size());
  for (const auto& c : r.classes) std::printf(" %s", c.c_str());
  std::printf("\n");
  PrintSplit("train", r.train);
  PrintSplit("validation", r.validation);
  PrintSplit("test", r.test);
  std::printf("  embeddings %d computed, %d cached; time: embed %.1f s, fit %.1f s, total %.1f s\n",
              r.embeddings_computed, r.embeddings_cached, r.embed_seconds, r.fit_seconds, r.total_seconds);
  if (!r.report_directory.empty()) std::printf("  report     %s/report.html\n", r.report_directory.c_str());
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a classification head on a frozen backbone and install it as a new model");
  cmd->add_option("data", args->data,
                  "Folder per class (DATA/<class>/*), or DATA/train + DATA/test, or a path,label CSV")
      ->required();
  cmd->add_option("--out", args->out, "Name (and optional :version) of the new model");
  cmd->add_option("--models", args->models_dir,
                  "Model repository (default: $VIGIL_MODELS, ./models, or next to the binary)");
  cmd->add_option("--backbone", args->backbone, "Backbone model NAME[:VERSION]")->capture_default_str();
  cmd->add_option("--head", args->head, "logistic | linear-svm")->capture_default_str();
  cmd->add_option("--norm", args->norm, "Feature normalisation: none | standardize | l2 (l2: --dry-run only)")
      ->capture_default_str();
  cmd->add_option("--augment", args->augment, "Training augmentations: crop,flip,jitter (any subset)");
  cmd->add_option("--views", args->views, "Embeddings per training image: the original + views-1 augmented copies (default augmentation crop,flip,jitter)")
      ->capture_default_str();
  cmd->add_option("--val-split", args->val_split,
                  "Fraction held out for temperature scaling (0: use cross-validation scores)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for folds, splits and augmentation")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads")->capture_default_str();
  cmd->add_option("--cache", args->cache_dir, "Embedding cache folder");
  cmd->add_option("--report", args->report_dir, "Write the HTML evaluation report (test split) here");
  cmd->add_option("--backend", args->backend, "Backbone backend: auto | xnnpack | opencv")->capture_default_str();
  cmd->add_option("--c", args->c_grid, "C values to cross-validate (default 0.001..100)");
  cmd->add_option("--folds", args->folds, "Cross-validation folds")->capture_default_str();
  cmd->add_flag("--overwrite", args->overwrite, "Replace an existing model version");
  cmd->add_flag("--dry-run", args->dry_run, "Train and evaluate, do not install");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  cmd->callback([args]() { throw CommandResult{RunTrain(*args)}; });
}

}  // namespace vigil::cli
