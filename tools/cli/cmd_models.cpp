// `vigil models` (list the repository), `vigil import tfjs MODEL_JSON --name NAME` (convert a
// layers model into the repository) and `vigil import tfjs-graph MODEL_JSON --out MODEL.onnx`
// (convert a graph model, e.g. a detector, to a standalone ONNX file; a developer path until the
// repository holds detectors).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "vigil/analyzer.h"
#include "vigil/model_import.h"
#include "vigil/model_repository.h"

namespace vigil::cli {
namespace {

struct ModelsArgs {
  std::string models_dir;
  bool json = false;
  bool check_backend = true;
};

// Loads the model as its task requires (classifier or detector) and returns its backend.
Result<std::string> InferenceBackendOf(const std::string& root, const ModelManifest& m) {
  AnalyzerOptions options;
  options.common.repository = root;
  options.models = {m.name + ":" + std::to_string(m.version)};
  VIGIL_ASSIGN_OR_RETURN(auto analyzer, Analyzer::Create(options));
  return analyzer->models()[0].backend;
}

int RunModels(const ModelsArgs& args) {
  std::string root = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  auto repo = ModelRepository::Open(root);
  if (!repo.ok()) return ReportError(repo.status());
  std::vector<std::string> problems;
  std::vector<ModelEntry> entries = (*repo)->List(&problems);
  nlohmann::json all = nlohmann::json::array();
  if (!args.json) {
    std::printf("%-24s %-4s %-14s %-16s %-16s %-8s %s\n", "NAME", "VER", "TASK", "INPUT", "EMBEDDING",
                "BACKEND", "LABELS");
  }
  for (const ModelEntry& e : entries) {
    const ModelManifest& m = e.manifest;
    std::string backend = "?";
    if (args.check_backend) {
      Result<std::string> b = InferenceBackendOf(root, m);
      backend = b.ok() ? *b : "error";
      if (!b.ok()) problems.push_back(m.name + ":" + std::to_string(m.version) + ": " + b.status().ToString());
    }
    std::ostringstream labels;
    for (size_t i = 0; i < m.labels.size(); ++i) labels << (i ? "," : "") << m.labels[i];
    std::string input = std::to_string(m.input.width) + "x" + std::to_string(m.input.height) + "x" +
                        std::to_string(m.input.channels) + " " + m.input.layout;
    if (args.json) {
      all.push_back({{"name", m.name},
                     {"version", m.version},
                     {"task", m.task},
                     {"input", {{"name", m.input.name}, {"width", m.input.width},
                                {"height", m.input.height}, {"channels", m.input.channels},
                                {"layout", m.input.layout}}},
                     {"labels", m.labels},
                     {"embedding", {{"output", m.embedding_output}, {"size", m.embedding_size}}},
                     {"backend", backend},
                     {"source", m.source},
                     {"path", e.directory}});
    } else {
      std::string emb = m.embedding_output.empty() ? "-" : m.embedding_output + "[" +
                                                               std::to_string(m.embedding_size) + "]";
      std::printf("%-24s %-4d %-14s %-16s %-16s %-8s %s\n", m.name.c_str(), m.version, m.task.c_str(),
                  input.c_str(), emb.c_str(), backend.c_str(), labels.str().c_str());
    }
  }
  if (args.json) std::printf("%s\n", all.dump(2).c_str());
  for (const std::string& p : problems) std::fprintf(stderr, "warning: %s\n", p.c_str());
  if (entries.empty()) std::fprintf(stderr, "no models in %s (run scripts/setup)\n", root.c_str());
  return kExitOk;
}

struct ImportArgs {
  std::string model_json;
  std::string name;
  int version = 0;
  std::string labels;
  std::string description;
  std::string source;
  std::string embedding_layer;
  std::string models_dir;
  bool overwrite = false;
};

int RunImportTfjs(const ImportArgs& args) {
  TfjsImportRequest request;
  request.model_json = args.model_json;
  request.name = args.name;
  request.version = args.version;
  request.description = args.description;
  request.source = args.source;
  request.embedding_layer = args.embedding_layer;
  request.overwrite = args.overwrite;
  std::stringstream ss(args.labels);
  for (std::string label; std::getline(ss, label, ',');) {
    if (!label.empty()) request.labels.push_back(label);
  }
  std::string root = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  auto entry = ImportTfjsModel(root, request);
  if (!entry.ok()) return ReportError(entry.status());
  const ModelManifest& m = entry->manifest;
  std::printf("imported %s:%d (%dx%d, %zu labels, embedding %s[%d]) into %s\n", m.name.c_str(),
              m.version, m.input.width, m.input.height, m.labels.size(),
              m.embedding_output.c_str(), m.embedding_size, entry->directory.c_str());
  return kExitOk;
}

struct GraphArgs {
  std::string model_json;
  std::string out;
  std::string outputs;
  bool json = false;
  // Install into the repository with this manifest instead of writing --out.
  std::string manifest;
  std::string name;
  int version = 0;
  std::string models_dir;
  bool overwrite = false;
};

int RunInstallTfjsGraph(const GraphArgs& args) {
  auto text = ReadFileBytes(args.manifest, 1 << 20);
  if (!text.ok()) return ReportError(text.status());
  auto manifest = ParseManifest(std::string(text->begin(), text->end()));
  if (!manifest.ok()) return ReportError(manifest.status().WithContext(args.manifest));
  TfjsGraphInstallRequest request;
  request.model_json = args.model_json;
  request.manifest = *manifest;
  if (!args.name.empty()) request.manifest.name = args.name;
  request.manifest.version = args.version;
  request.overwrite = args.overwrite;
  std::string root = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  auto entry = InstallTfjsGraphModel(root, request);
  if (!entry.ok()) return ReportError(entry.status());
  const ModelManifest& m = entry->manifest;
  std::printf("imported %s:%d (%s %s, %dx%d %s, %zu labels) into %s\n", m.name.c_str(), m.version,
              m.task.c_str(), m.detection.architecture.c_str(), m.input.width, m.input.height,
              m.input.layout.c_str(), m.labels.size(), entry->directory.c_str());
  return kExitOk;
}

std::string DimsJoin(const std::vector<int64_t>& dims) {
  std::string s;
  for (int64_t d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

int RunImportTfjsGraph(const GraphArgs& args) {
  if (!args.manifest.empty()) return RunInstallTfjsGraph(args);
  if (args.out.empty()) {
    std::fprintf(stderr, "error: give --out MODEL.onnx (convert) or --manifest FILE (install)\n");
    return kExitUsage;
  }
  TfjsGraphConvertRequest request;
  request.model_json = args.model_json;
  request.onnx_out = args.out;
  std::stringstream ss(args.outputs);
  for (std::string name; std::getline(ss, name, ',');) {
    if (!name.empty()) request.outputs.push_back(name);
  }
  auto result = ConvertTfjsGraphModel(request);
  if (!result.ok()) return ReportError(result.status());
  if (args.json) {
    nlohmann::json j = {{"onnx", args.out},
                        {"input", {{"name", result->input_name}, {"shape", result->input_shape}}},
                        {"onnx_nodes", result->onnx_node_count},
                        {"tf_ops", result->tf_ops}};
    j["outputs"] = nlohmann::json::array();
    for (size_t k = 0; k < result->output_names.size(); ++k) {
      j["outputs"].push_back({{"name", result->output_names[k]}, {"shape", result->output_shapes[k]}});
    }
    std::printf("%s\n", j.dump().c_str());
    return kExitOk;
  }
  std::printf("wrote %s: input %s %s, %lld ONNX nodes\n", args.out.c_str(),
              result->input_name.c_str(), DimsJoin(result->input_shape).c_str(),
              static_cast<long long>(result->onnx_node_count));
  for (size_t k = 0; k < result->output_names.size(); ++k) {
    std::printf("  output %s %s\n", result->output_names[k].c_str(),
                DimsJoin(result->output_shapes[k]).c_str());
  }
  return kExitOk;
}

}  // namespace

void AddModelsCommand(CLI::App& app) {
  auto args = std::make_shared<ModelsArgs>();
  CLI::App* cmd = app.add_subcommand("models", "List the models in the repository");
  cmd->add_option("--models", args->models_dir, "Model repository");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args]() { throw CommandResult{RunModels(*args)}; });
}

void AddImportCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("import", "Convert a model into the repository (ONNX + manifest)");
  cmd->require_subcommand(1);
  auto args = std::make_shared<ImportArgs>();
  CLI::App* tfjs = cmd->add_subcommand("tfjs", "Import a TensorFlow.js layers model (model.json)");
  tfjs->add_option("model_json", args->model_json, "Path to model.json (weight shards beside it)")
      ->required();
  tfjs->add_option("--name", args->name, "Model name in the repository")->required();
  tfjs->add_option("--version", args->version, "Version number (default: next free)")
      ->check(CLI::PositiveNumber);
  tfjs->add_option("--labels", args->labels, "Comma-separated class names, in output order");
  tfjs->add_option("--description", args->description, "Free text for the manifest");
  tfjs->add_option("--source", args->source, "Provenance recorded in the manifest");
  tfjs->add_option("--embedding-layer", args->embedding_layer,
                   "Layer whose output is the embedding (default: before the dense head)");
  tfjs->add_option("--models", args->models_dir, "Model repository");
  tfjs->add_flag("--overwrite", args->overwrite, "Replace an existing NAME:VERSION");
  tfjs->callback([args]() { throw CommandResult{RunImportTfjs(*args)}; });

  auto graph_args = std::make_shared<GraphArgs>();
  CLI::App* graph = cmd->add_subcommand(
      "tfjs-graph",
      "Install a TensorFlow.js graph model (a detector) with a manifest, or convert it to ONNX");
  graph->add_option("model_json", graph_args->model_json, "Path to model.json (shards beside it)")
      ->required();
  graph->add_option("--out", graph_args->out, "ONNX file to write (convert only)");
  graph->add_option("--manifest", graph_args->manifest,
                    "Install into the repository with this manifest.json (task detection)");
  graph->add_option("--name", graph_args->name, "With --manifest: model name (default: manifest's)");
  graph->add_option("--version", graph_args->version, "With --manifest: version (default: next)")
      ->check(CLI::PositiveNumber);
  graph->add_option("--models", graph_args->models_dir, "Model repository");
  graph->add_flag("--overwrite", graph_args->overwrite, "Replace an existing NAME:VERSION");
  graph->add_option("--outputs", graph_args->outputs,
                    "Comma-separated TF node names to export (default: the model's signature)");
  graph->add_flag("--json", graph_args->json, "Print the result as JSON");
  graph->callback([graph_args]() { throw CommandResult{RunImportTfjsGraph(*graph_args)}; });
}

}  // namespace vigil::cli
