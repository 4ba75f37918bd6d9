// `vigil train DATA --out NAME[:VERSION]`: transfer learning and classical baselines. Computes
// feature vectors (a frozen backbone's embeddings and/or classical descriptors), trains a head
// (logistic, linear-svm, rbf-svm, knn, prototype; parameters by cross-validation), evaluates on
// DATA/test if present, and installs the model in the repository (vigil::TrainClassifier,
// include/vigil/learn.h). Prints a progress bar and a summary; --json prints it as JSON.
// `--shots-curve 1,5,10` instead prints the few-shot curve of prototype heads (EvaluateFewShot).
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
  std::string norm = "auto";
  int shots = 0;
  std::vector<int> shots_curve;
  int curve_seeds = 5;
  std::vector<double> gamma_grid;
  std::vector<int> k_grid;
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

int RunFewShotCurve(const TrainArgs& args, const TrainOptions& options) {
  auto curve = EvaluateFewShot(options, args.shots_curve, args.curve_seeds);
  if (!curve.ok()) return ReportError(curve.status());
  if (!args.report_dir.empty()) {
    Status written = WriteFewShotReport(*curve, args.report_dir);
    if (!written.ok()) return ReportError(written);
  }
  if (args.json) {
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : curve->points) {
      points.push_back({{"shots", p.shots}, {"runs", p.runs}, {"accuracy_mean", p.accuracy_mean},
                        {"accuracy_sd", p.accuracy_sd}, {"macro_f1_mean", p.macro_f1_mean},
                        {"macro_f1_sd", p.macro_f1_sd}, {"macro_f1", p.macro_f1}});
    }
    nlohmann::json j{{"backbone", curve->backbone}, {"head", "prototype"}, {"test_count", curve->test_count},
                     {"points", points}, {"seconds", curve->seconds}};
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("few-shot curve: prototype head on %s, %d test images, %d seeds per K\n", curve->backbone.c_str(),
              curve->test_count, args.curve_seeds);
  std::printf("  %6s  %-17s  %-17s\n", "K", "accuracy", "macro-F1");
  for (const auto& p : curve->points) {
    std::printf("  %6d  %.4f ± %.4f   %.4f ± %.4f\n", p.shots, p.accuracy_mean, p.accuracy_sd, p.macro_f1_mean,
                p.macro_f1_sd);
  }
  std::printf("  (mean ± sample sd over seeds; %.1f s)\n", curve->seconds);
  if (!args.report_dir.empty()) std::printf("  report     %s/few_shot.html\n", args.report_dir.c_str());
  return kExitOk;
}

int RunTrain(const TrainArgs& args) {
  TrainOptions options;
  options.data = args.data;
  options.backbone_model.repository = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  options.backbone = args.backbone;
  options.install = !args.dry_run && args.shots_curve.empty();
  if (options.install) {
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
  options.backbone_model.backend = args.backend;
  options.c_grid = args.c_grid;
  options.gamma_grid = args.gamma_grid;
  options.k_grid = args.k_grid;
  options.folds = args.folds;
  options.shots = args.shots;

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
  if (!args.shots_curve.empty()) {
    const int code = RunFewShotCurve(args, options);
    if (bar) bar->Finish();
    return code;
  }
  auto report = TrainClassifier(options);
  if (bar) bar->Finish();
  if (!report.ok()) return ReportError(report.status());
  const TrainReport& r = *report;
  if (args.json) {
    auto split = [](const SplitScore& s) {
      return nlohmann::json{{"count", s.count}, {"accuracy", s.accuracy}, {"macro_f1", s.macro_f1}};
    };
    nlohmann::json j{{"model", r.model_name}, {"version", r.model_version}, {"directory", r.model_directory},
                     {"backbone", r.backbone}, {"head", r.head}, {"head_description", r.head_description},
                     {"export", r.export_format}, {"feature_dim", r.feature_dim},
                     {"classes", r.classes}, {"c", r.c}, {"gamma", r.gamma}, {"k", r.k},
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
  std::printf("  backbone   %s (%d features)\n", r.backbone.c_str(), r.feature_dim);
  std::printf("  head       %s; cv macro-F1 %.4f\n", r.head_description.c_str(), r.cv_macro_f1);
  if (!r.export_format.empty()) std::printf("  export     %s\n", r.export_format.c_str());
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
  cmd->add_option("--backbone", args->backbone,
                  "Feature sources, comma-separated: one model NAME[:VERSION] and/or classical "
                  "(e.g. mobilenet_v2,classical)")
      ->capture_default_str();
  cmd->add_option("--head", args->head, "logistic | linear-svm | rbf-svm | knn | prototype")->capture_default_str();
  cmd->add_option("--norm", args->norm, "Feature normalisation: auto | none | standardize | l2")->capture_default_str();
  cmd->add_option("--shots", args->shots, "Few-shot: use K training images per class (sampled with --seed)");
  OneValuePerFlag(cmd->add_option("--shots-curve", args->shots_curve,
                  "Print the few-shot curve of prototype heads for these K (e.g. 1,5,10) instead of training"))
      ->delimiter(',');
  cmd->add_option("--curve-seeds", args->curve_seeds, "Seeds per K for --shots-curve")->capture_default_str();
  cmd->add_option("--augment", args->augment, "Training augmentations: crop,flip,jitter (any subset)");
  cmd->add_option("--views", args->views, "Embeddings per training image: the original + views-1 augmented copies (default augmentation crop,flip,jitter)")
      ->capture_default_str();
  cmd->add_option("--val-split", args->val_split,
                  "Fraction held out for temperature scaling (0: use cross-validation scores)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed for folds, splits and augmentation")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads")->capture_default_str();
  cmd->add_option("--cache", args->cache_dir, "Embedding cache folder");
  cmd->add_option("--report", args->report_dir, "Write the HTML evaluation report (test split; few_shot.html with --shots-curve) here");
  cmd->add_option("--backend", args->backend, "Backbone backend: auto | xnnpack | opencv")->capture_default_str();
  OneValuePerFlag(cmd->add_option("--c", args->c_grid, "C values to cross-validate (linear and RBF heads)"))->delimiter(',');
  OneValuePerFlag(cmd->add_option("--gamma", args->gamma_grid, "RBF gamma values to cross-validate, in units of 1/features"))
      ->delimiter(',');
  OneValuePerFlag(cmd->add_option("--k", args->k_grid, "k values to cross-validate (knn)"))->delimiter(',');
  cmd->add_option("--folds", args->folds, "Cross-validation folds")->capture_default_str();
  cmd->add_flag("--overwrite", args->overwrite, "Replace an existing model version");
  cmd->add_flag("--dry-run", args->dry_run, "Train and evaluate, do not install");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
  cmd->callback([args]() { throw CommandResult{RunTrain(*args)}; });
}

}  // namespace vigil::cli
