// EvaluateModel: dataset -> ImageClassifier on N threads -> Evaluate (metrics, slices).
#include "vigil/model_evaluation.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "learn/dataset.h"
#include "vigil/classifier.h"

namespace vigil {
namespace fs = std::filesystem;
namespace {

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

// "path,slice" rows; paths relative to the CSV's folder. Returns canonical path -> slice.
Result<std::map<std::string, std::string>> LoadSlices(const std::string& csv_path) {
  std::ifstream in(csv_path);
  if (!in) return NotFoundError("cannot read slices CSV " + csv_path);
  const fs::path base = fs::path(csv_path).parent_path();
  std::map<std::string, std::string> slices;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#' || (line_no == 1 && line.rfind("path,", 0) == 0)) continue;
    const size_t comma = line.rfind(',');
    if (comma == std::string::npos || comma == 0 || comma + 1 == line.size()) {
      return InvalidArgumentError(csv_path + ":" + std::to_string(line_no) +
                                  ": expected \"path,slice\"");
    }
    fs::path p = line.substr(0, comma);
    if (p.is_relative()) p = base / p;
    slices[Canonical(p.string())] = line.substr(comma + 1);
  }
  return slices;
}

}  // namespace

Result<ModelEvaluation> EvaluateModel(const ModelEvaluationOptions& options) {
  if (options.threads < 1 || options.threads > 256) {
    return InvalidArgumentError("threads must be in 1..256");
  }
  ClassifierOptions co;
  co.model = options.model;
  co.with_embedding = false;
  VIGIL_ASSIGN_OR_RETURN(auto classifier, ImageClassifier::Create(co));
  const std::vector<std::string>& labels = classifier->manifest().labels;

  VIGIL_ASSIGN_OR_RETURN(Dataset loaded, LoadDataset(options.data));
  auto dataset = RemapClasses(loaded, labels);
  if (!dataset.ok()) {
    return dataset.status().WithContext("the dataset's classes must be labels of model " +
                                        classifier->manifest().name);
  }
  std::map<std::string, std::string> slice_of;
  if (!options.slices_csv.empty()) {
    VIGIL_ASSIGN_OR_RETURN(slice_of, LoadSlices(options.slices_csv));
  }

  const size_t n = dataset->items.size();
  std::vector<std::vector<float>> probs(n);
  std::vector<Status> statuses(n);
  std::atomic<size_t> next{0}, done{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      auto p = classifier->ClassifyFile(dataset->items[i].path);
      if (p.ok()) {
        probs[i].assign(labels.size(), 0.0f);
        for (const LabelScore& l : p->labels) {
          for (size_t k = 0; k < labels.size(); ++k) {
            if (labels[k] == l.label) probs[i][k] = l.score;
          }
        }
      } else {
        statuses[i] = p.status();
      }
      const size_t d = ++done;
      if (options.progress) options.progress(d, n);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min<int>(options.threads, int(std::max<size_t>(n, 1))); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();

  ModelEvaluation result;
  result.model = classifier->manifest().name;
  result.version = classifier->manifest().version;
  result.backend = classifier->backend_name();
  std::vector<int> truth;
  std::vector<std::vector<float>> kept;
  std::vector<std::string> slices;
  for (size_t i = 0; i < n; ++i) {
    if (!statuses[i].ok()) {
      result.failures.push_back({dataset->items[i].path, statuses[i]});
      continue;
    }
    truth.push_back(dataset->items[i].label);
    kept.push_back(std::move(probs[i]));
    if (!slice_of.empty()) {
      auto it = slice_of.find(Canonical(dataset->items[i].path));
      slices.push_back(it == slice_of.end() ? "(none)" : it->second);
    }
  }
  if (truth.empty()) return DataLossError("no image of " + options.data + " could be classified");
  VIGIL_ASSIGN_OR_RETURN(result.evaluation, Evaluate(truth, kept, labels, options.eval,
                                                     slice_of.empty() ? nullptr : &slices));
  return result;
}

}  // namespace vigil
