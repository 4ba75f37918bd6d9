// Evaluate a repository model on a labelled dataset (folder per class, or a "path,label" CSV):
// classify every image, then compute every metric of vigil/eval.h (per-class P/R/F1/F2, PR-AUC,
// ROC-AUC, confusion matrix, thresholds, calibration, per-slice metrics).
//
//   vigil::ModelEvaluationOptions options;
//   options.model.name = "my_classes";          // options.model: repository, version, backend...
//   options.data = "photos/test";               // photos/test/<class>/*.jpg
//   VIGIL_ASSIGN_OR_RETURN(vigil::ModelEvaluation result, vigil::EvaluateModel(options));
//   VIGIL_RETURN_IF_ERROR(vigil::WriteHtmlReport(result.evaluation, {}, "report/"));
//
// Every dataset class must be one of the model's labels; the evaluation covers all model labels
// (in the model's order). Images that cannot be read are listed in `failures` and left out.
// Thread-safety: EvaluateModel may run concurrently; the progress callback is called from worker
// threads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "vigil/eval.h"
#include "vigil/model_selection.h"
#include "vigil/status.h"

namespace vigil {

struct ModelEvaluationOptions {
  // The classifier: repository, name, version (0 = latest), backend, threads per session,
  // decoding limits.
  ModelSelection model;
  std::string data;        // folder per class, or a .csv of path,label
  std::string slices_csv;  // optional "path,slice" CSV (paths relative to the CSV's folder)
  int threads = 2;         // classification threads
  EvalOptions eval;
  std::function<void(size_t done, size_t total)> progress;
};

struct EvaluationFailure {
  std::string path;
  Status status;
};

struct ModelEvaluation {
  std::string model;
  int version = 0;
  std::string backend;
  Evaluation evaluation;
  std::vector<EvaluationFailure> failures;
};

Result<ModelEvaluation> EvaluateModel(const ModelEvaluationOptions& options);

}  // namespace vigil
