// The ONNX Runtime peer of the benchmarks: runs bench/ort_bench.js (npm onnxruntime-node) on an ONNX
// file in a child node process and returns the JSON summary it prints last ({"img_per_s", "ms_per_run",
// ...}), or a null JSON value if node fails or prints no summary. Header-only: each bench/*.cpp is
// its own program.
#pragma once
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil_bench {

inline nlohmann::json RunOrtBench(const std::string& node_modules, const std::string& script,
                                  const std::string& onnx, int threads, int batch, double seconds) {
  const std::string cmd = "VIGIL_NODE_MODULES='" + node_modules + "' node '" + script + "' --model '" +
                          onnx + "' --threads " + std::to_string(threads) + " --batch " +
                          std::to_string(batch) + " --seconds " + std::to_string(seconds) + " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return nullptr;
  std::string out;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) out += buf;
  if (pclose(pipe) != 0) return nullptr;
  const size_t brace = out.rfind('{');
  if (brace == std::string::npos) return nullptr;
  nlohmann::json j = nlohmann::json::parse(out.substr(brace), nullptr, false);
  return j.is_object() ? j : nlohmann::json();
}

}  // namespace vigil_bench
