// `vigil eval MODEL DATA [--slices CSV] [--report DIR] [--mlflow DIR]`: evaluate a model on a
// labelled folder (or path,label CSV): summary and per-class table on stdout (or JSON), an HTML
// report with plots, and optionally a run in MLflow's file-store layout.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>

#include "cli_common.h"
#include "commands.h"
#include "vigil/model_evaluation.h"
#include "vigil/model_repository.h"

namespace vigil::cli {
namespace {

struct EvalArgs {
  std::string model;
  std::string data;
  std::string slices;
  std::string report;
  std::string mlflow;
  std::string experiment = "vigil";
  std::string models_dir;
  std::string backend = "auto";
  int threads = 2;
  bool json = false;
};

std::string Num(double v) {
  if (std::isnan(v)) return "  n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

int RunEval(const EvalArgs& args) {
  auto ref = ParseModelRef(args.model);
  if (!ref.ok()) return ReportError(ref.status());
  ModelEvaluationOptions options;
  options.model.repository = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  options.model.name = ref->name;
  options.model.version = ref->version;
  options.model.backend = args.backend;
  options.data = args.data;
  options.slices_csv = args.slices;
  options.threads = args.threads;
  std::unique_ptr<ProgressBar> bar;
  std::mutex bar_mutex;
  options.progress = [&](size_t done, size_t total) {
    std::lock_guard<std::mutex> lock(bar_mutex);
    if (!bar) bar = std::make_unique<ProgressBar>(total, true);
    bar->Tick(false);
    (void)done;
  };
  auto result = EvaluateModel(options);
  if (bar) bar->Finish();
  if (!result.ok()) return ReportError(result.status());
  const Evaluation& e = result->evaluation;
  for (const EvaluationFailure& f : result->failures) {
    std::fprintf(stderr, "%s: error: %s\n", f.path.c_str(), f.status.ToString().c_str());
  }
  if (args.json) {
    std::printf("%s\n", EvaluationToJson(e).c_str());
  } else {
    std::printf("model %s:%d (%s) on %s: %d images\n", result->model.c_str(), result->version,
                result->backend.c_str(), args.data.c_str(), e.count);
    std::printf("accuracy %s  macro-F1 %s  macro-F%g %s  macro PR-AUC %s  macro ROC-AUC %s  ECE %s\n",
                Num(e.accuracy).c_str(), Num(e.macro.f1).c_str(), e.beta, Num(e.macro.fbeta).c_str(),
                Num(e.macro.average_precision).c_str(), Num(e.macro.roc_auc).c_str(),
                Num(e.calibration.ece).c_str());
    std::printf("%-20s %7s %9s %6s %6s %6s %7s %7s\n", "class", "support", "precision", "recall",
                "F1", "F-beta", "PR-AUC", "ROC-AUC");
    for (const ClassMetrics& c : e.classes) {
      std::printf("%-20s %7d %9s %6s %6s %6s %7s %7s\n", c.name.c_str(), c.support,
                  Num(c.precision).c_str(), Num(c.recall).c_str(), Num(c.f1).c_str(),
                  Num(c.fbeta).c_str(), Num(c.average_precision).c_str(),
                  Num(c.roc_auc).c_str());
    }
  }
  if (!args.report.empty()) {
    ReportOptions ro;
    ro.details = {{"model", result->model + ":" + std::to_string(result->version)},
                  {"backend", result->backend},
                  {"data", args.data}};
    if (!args.slices.empty()) ro.details.push_back({"slices", args.slices});
    Status s = WriteHtmlReport(e, ro, args.report);
    if (!s.ok()) return ReportError(s);
    std::fprintf(stderr, "report: %s/report.html\n", args.report.c_str());
  }
  if (!args.mlflow.empty()) {
    MlflowRunOptions mo;
    mo.run_name = "eval " + result->model + ":" + std::to_string(result->version);
    if (!args.report.empty()) mo.artifact_files = {args.report + "/report.html"};
    auto run = WriteMlflowRun(e, {{"model", result->model}, {"version", std::to_string(result->version)},
                                  {"backend", result->backend}, {"data", args.data}},
                              args.mlflow, args.experiment, mo);
    if (!run.ok()) return ReportError(run.status());
    std::fprintf(stderr, "mlflow run: %s\n", run->run_dir.c_str());
  }
  return result->failures.empty() ? kExitOk : kExitSomeInputsFailed;
}

}  // namespace

void AddEvalCommand(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a model on a labelled folder or CSV");
  cmd->add_option("model", args->model, "Model as NAME or NAME:VERSION")->required();
  cmd->add_option("data", args->data, "Folder per class (<dir>/<class>/*.jpg) or path,label CSV")
      ->required();
  cmd->add_option("--slices", args->slices, "CSV of path,slice for per-slice (fairness) metrics");
  cmd->add_option("--report", args->report, "Write report.html (plots) and metrics.json here");
  cmd->add_option("--mlflow", args->mlflow, "Also record the run in this MLflow mlruns/ folder");
  cmd->add_option("--experiment", args->experiment, "MLflow experiment name")->capture_default_str();
  cmd->add_option("--models", args->models_dir, "Model repository");
  cmd->add_option("--backend", args->backend, "Inference backend")->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Classification threads")->check(CLI::Range(1, 256));
  cmd->add_flag("--json", args->json, "Print the full evaluation as JSON");
  cmd->callback([args]() { throw CommandResult{RunEval(*args)}; });
}

}  // namespace vigil::cli
