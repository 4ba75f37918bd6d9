// Query-parameter parsing and name checks for the routes (see request_params.h).
#include "request_params.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "http_util.h"

namespace vigil::server {
namespace {

// A printable rendering of a client's value for an error message (control bytes as \xNN, cut).
std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + (text.size() > 64 ? "...\"" : "\"");
}

}  // namespace

Status CheckQueryParams(const httplib::Request& req, const std::vector<std::string>& accepted) {
  for (const auto& [name, value] : req.params) {
    if (std::find(accepted.begin(), accepted.end(), name) == accepted.end()) {
      std::string list;
      for (const std::string& a : accepted) list += (list.empty() ? "" : ", ") + a;
      return InvalidArgumentError("unknown query parameter " + Quoted(name) + " (accepted: " + list + ")");
    }
    if (req.params.count(name) > 1) return InvalidArgumentError("query parameter " + name + " given more than once");
  }
  return Status::Ok();
}

Status ReadIntParam(const httplib::Request& req, const char* name, int min, int max, int* out) {
  if (!req.has_param(name)) return Status::Ok();
  const std::string text = req.get_param_value(name);
  const bool digits = !text.empty() && text.find_first_not_of("0123456789-+") == std::string::npos;
  char* end = nullptr;
  errno = 0;
  const long long v = digits ? std::strtoll(text.c_str(), &end, 10) : 0;
  if (!digits || errno != 0 || *end != '\0' || v < min || v > max) {
    return InvalidArgumentError(std::string("query parameter ") + name + " must be an integer in " +
                                std::to_string(min) + ".." + std::to_string(max) + ", got " + Quoted(text));
  }
  *out = int(v);
  return Status::Ok();
}

Status ReadNumberParam(const httplib::Request& req, const char* name, double min, bool open_min, double max,
                       float* out) {
  if (!req.has_param(name)) return Status::Ok();
  const std::string text = req.get_param_value(name);
  const bool plain = !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos;
  char* end = nullptr;
  const double v = plain ? std::strtod(text.c_str(), &end) : 0;
  if (!plain || *end != '\0' || !(v >= min && v <= max) || (open_min && v == min)) {
    std::ostringstream message;
    message << "query parameter " << name << " must be a number in " << (open_min ? "(" : "[") << min << ", "
            << max << "], got " << Quoted(text);
    return InvalidArgumentError(message.str());
  }
  *out = float(v);
  return Status::Ok();
}

Status ReadBoolParam(const httplib::Request& req, const char* name, bool* out) {
  if (!req.has_param(name)) return Status::Ok();
  const std::string text = req.get_param_value(name);
  if (text != "true" && text != "false") {
    return InvalidArgumentError(std::string("query parameter ") + name + " must be true or false, got " +
                                Quoted(text));
  }
  *out = text == "true";
  return Status::Ok();
}

Status CheckModelName(const std::string& what, const std::string& name) {
  if (name.empty()) return InvalidArgumentError(what + " must not be empty");
  bool ok = name.size() <= 128;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) ok = false;
  }
  if (!ok) {
    return InvalidArgumentError(what + " " + Quoted(name) +
                                " is not a model name (1 to 128 letters, digits, '_', '-' and '.')");
  }
  return Status::Ok();
}

}  // namespace vigil::server
