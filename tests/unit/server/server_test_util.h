// Helpers for the server unit tests: in-process requests (no socket) and test paths.
#pragma once

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace vigil::server::testing {

inline std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
inline std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }
inline std::string Photo(const char* name) {
  return Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples/" + name;
}
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// A request as cpp-httplib would hand it to a handler.
inline httplib::Request MakeRequest(const std::string& method, const std::string& path,
                                    std::vector<std::pair<std::string, std::string>> params = {},
                                    std::vector<std::pair<std::string, std::string>> headers = {},
                                    std::string body = "") {
  httplib::Request req;
  req.method = method;
  req.path = path;
  for (auto& [k, v] : params) req.params.emplace(k, v);
  for (auto& [k, v] : headers) req.headers.emplace(k, v);
  req.body = std::move(body);
  return req;
}

// The "error.code" of a JSON error body ("" when there is none).
inline std::string ErrorCode(const httplib::Response& res) {
  const nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}
inline std::string ErrorMessage(const httplib::Response& res) {
  const nlohmann::json j = nlohmann::json::parse(res.body, nullptr, false);
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("message", "");
}

}  // namespace vigil::server::testing
