// WriteMlflowRun: records an Evaluation as a finished run in an MLflow file store, in the layout
// MLflow's FileStore reads (mlruns/<exp_id>/meta.yaml, mlruns/<exp_id>/<run_id>/{meta.yaml,
// metrics/<name> with "timestamp value step" lines, params/<name>, tags/<name>, artifacts/}), so
// `mlflow ui --backend-store-uri mlruns` lists it.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "vigil/eval.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// MLflow names allow alphanumerics, '_', '-', '.', ' ' and '/'; keep a safe subset.
std::string SafeName(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    out += ok ? c : '_';
  }
  return out.empty() ? "_" : out;
}

// A YAML single-quoted scalar.
std::string YamlQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The value of a top-level "key: value" line of a meta.yaml, unquoted; empty if absent.
std::string YamlValue(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    std::string v = line.substr(key.size() + 1);
    const size_t first = v.find_first_not_of(' ');
    v = first == std::string::npos ? "" : v.substr(first);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
    if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') {
      std::string out;
      for (size_t i = 1; i + 1 < v.size(); ++i) {
        out += v[i];
        if (v[i] == '\'' && v[i + 1] == '\'') ++i;
      }
      return out;
    }
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

// file:// URI of an absolute path, percent-encoding bytes outside the unreserved set and '/'.
std::string FileUri(const fs::path& path) {
  std::string out = "file://";
  for (unsigned char c : path.string()) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '/' || c == '-' || c == '_' || c == '.' ||
                       c == '~';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string RandomHex32() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(NowMillis()));
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(gen()),
                static_cast<unsigned long long>(gen()));
  return buf;
}

Status WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return InternalError("mlflow: cannot write " + path.string());
  return Status::Ok();
}

Status WriteExperimentMeta(const fs::path& root, const std::string& id, const std::string& name) {
  std::error_code ec;
  const fs::path dir = root / id;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("mlflow: cannot create " + dir.string() + ": " + ec.message());
  const int64_t now = NowMillis();
  std::ostringstream y;
  y << "artifact_location: " << FileUri(dir) << "\n"
    << "creation_time: " << now << "\n"
    << "experiment_id: " << YamlQuote(id) << "\n"
    << "last_update_time: " << now << "\n"
    << "lifecycle_stage: active\n"
    << "name: " << YamlQuote(name) << "\n";
  return WriteText(dir / "meta.yaml", y.str());
}

// Finds the experiment called `name` or creates it with the next free integer id.
Result<std::string> ExperimentId(const fs::path& root, const std::string& name) {
  std::error_code ec;
  if (!fs::exists(root / "0" / "meta.yaml", ec))
    VIGIL_RETURN_IF_ERROR(WriteExperimentMeta(root, "0", "Default"));
  fs::create_directories(root / ".trash", ec);
  long long max_id = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory()) continue;
    const std::string id = entry.path().filename().string();
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
    const fs::path meta = entry.path() / "meta.yaml";
    if (YamlValue(meta, "name") == name && YamlValue(meta, "lifecycle_stage") != "deleted")
      return id;
    if (id.size() < 18) max_id = std::max(max_id, std::stoll(id));
  }
  if (ec) return InternalError("mlflow: cannot list " + root.string() + ": " + ec.message());
  const std::string id = std::to_string(max_id + 1);
  VIGIL_RETURN_IF_ERROR(WriteExperimentMeta(root, id, name));
  return id;
}

std::string FormatValue(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// (name, value) pairs logged as metrics; undefined (NaN) values are skipped.
std::vector<std::pair<std::string, double>> MetricList(const Evaluation& e) {
  std::vector<std::pair<std::string, double>> m = {
      {"accuracy", e.accuracy},
      {"macro_precision", e.macro.precision},
      {"macro_recall", e.macro.recall},
      {"macro_f1", e.macro.f1},
      {"macro_fbeta", e.macro.fbeta},
      {"macro_pr_auc", e.macro.average_precision},
      {"macro_roc_auc", e.macro.roc_auc},
      {"weighted_f1", e.weighted.f1},
      {"ece", e.calibration.ece},
      {"mce", e.calibration.mce},
      {"nll", e.calibration.nll},
      {"brier", e.calibration.brier},
  };
  if (e.temperature) m.push_back({"temperature", e.temperature->temperature});
  if (e.slices && e.slices->largest) m.push_back({"slice_max_gap", e.slices->largest->gap});
  for (const ClassMetrics& c : e.classes) {
    const std::string n = SafeName(c.name);
    m.push_back({"precision." + n, c.precision});
    m.push_back({"recall." + n, c.recall});
    m.push_back({"f1." + n, c.f1});
    m.push_back({"pr_auc." + n, c.average_precision});
    m.push_back({"roc_auc." + n, c.roc_auc});
  }
  std::vector<std::pair<std::string, double>> out;
  for (auto& kv : m)
    if (std::isfinite(kv.second)) out.push_back(kv);
  return out;
}

}  // namespace

Result<MlflowRunInfo> WriteMlflowRun(const Evaluation& evaluation,
                                     const std::map<std::string, std::string>& params,
                                     const std::string& mlruns_dir,
                                     const std::string& experiment_name,
                                     const MlflowRunOptions& options) {
  if (experiment_name.empty()) return InvalidArgumentError("mlflow: empty experiment name");
  std::error_code ec;
  const fs::path root = fs::absolute(mlruns_dir, ec).lexically_normal();
  if (ec) return InvalidArgumentError("mlflow: bad path " + mlruns_dir);
  fs::create_directories(root, ec);
  if (ec) return InternalError("mlflow: cannot create " + root.string() + ": " + ec.message());
  MlflowRunInfo info;
  VIGIL_ASSIGN_OR_RETURN(info.experiment_id, ExperimentId(root, experiment_name));
  info.run_id = RandomHex32();
  const fs::path run = root / info.experiment_id / info.run_id;
  info.run_dir = run.string();
  for (const char* sub : {"metrics", "params", "tags", "artifacts"}) {
    fs::create_directories(run / sub, ec);
    if (ec) return InternalError("mlflow: cannot create " + (run / sub).string());
  }
  const int64_t now = NowMillis();
  std::ostringstream meta;
  meta << "artifact_uri: " << FileUri(run / "artifacts") << "\n"
       << "end_time: " << now << "\n"
       << "entry_point_name: ''\n"
       << "experiment_id: " << YamlQuote(info.experiment_id) << "\n"
       << "lifecycle_stage: active\n"
       << "run_id: " << info.run_id << "\n"
       << "run_name: " << YamlQuote(options.run_name) << "\n"
       << "run_uuid: " << info.run_id << "\n"
       << "source_name: ''\n"
       << "source_type: 4\n"  // SourceType.LOCAL
       << "source_version: ''\n"
       << "start_time: " << now << "\n"
       << "status: 3\n"  // RunStatus.FINISHED
       << "tags: []\n"
       << "user_id: " << YamlQuote(options.user) << "\n";
  VIGIL_RETURN_IF_ERROR(WriteText(run / "meta.yaml", meta.str()));
  for (const auto& [name, value] : MetricList(evaluation)) {
    VIGIL_RETURN_IF_ERROR(WriteText(run / "metrics" / name,
                                    std::to_string(now) + " " + FormatValue(value) + " 0\n"));
  }
  for (const auto& [name, value] : params)
    VIGIL_RETURN_IF_ERROR(WriteText(run / "params" / SafeName(name), value));
  VIGIL_RETURN_IF_ERROR(WriteText(run / "tags" / "mlflow.runName", options.run_name));
  VIGIL_RETURN_IF_ERROR(WriteText(run / "tags" / "mlflow.user", options.user));
  VIGIL_RETURN_IF_ERROR(WriteText(run / "tags" / "mlflow.source.name", "vigil"));
  VIGIL_RETURN_IF_ERROR(WriteText(run / "tags" / "mlflow.source.type", "LOCAL"));
  VIGIL_RETURN_IF_ERROR(WriteText(run / "artifacts" / "metrics.json", EvaluationToJson(evaluation)));
  for (const std::string& file : options.artifact_files) {
    const fs::path src(file);
    fs::copy_file(src, run / "artifacts" / src.filename(), fs::copy_options::overwrite_existing,
                  ec);
    if (ec) return NotFoundError("mlflow: cannot copy artifact " + file + ": " + ec.message());
  }
  return info;
}

}  // namespace vigil
