// The settings table (see settings.h): one entry per vigil.yaml key with its accessor into
// ServerConfig; YAML reading (yaml-cpp stays in this file), range checks and the docs table.
#include "settings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <iomanip>
#include <limits>
#include <sstream>
#include <variant>

namespace vigil::server {
namespace {

template <typename T>
using Ref = T& (*)(ServerConfig&);
using Micros = std::chrono::microseconds;
using Strings = std::vector<std::string>;
using AnyRef = std::variant<Ref<bool>, Ref<int>, Ref<int64_t>, Ref<size_t>, Ref<double>, Ref<float>, Ref<std::string>,
                            Ref<Strings>, Ref<Micros>, Ref<std::vector<ApiKey>>>;

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

struct Entry {
  const char* section;
  const char* name;
  AnyRef ref;
  double min;  // inclusive; NaN = unbounded
  double max;
  const char* doc;
};

// A field of ServerConfig, as an accessor usable in a constant table.
#define VIGIL_FIELD(expr) +[](ServerConfig& c) -> decltype(auto) { return (expr); }

const std::vector<Entry>& Table() {
  constexpr double kMaxBytes = double(uint64_t(1) << 40);
  static const std::vector<Entry> table = {
      {"", "host", VIGIL_FIELD(c.host), kNone, kNone, "listen address"},
      {"", "port", VIGIL_FIELD(c.port), 0, 65535, "0 = any free port (printed at start)"},
      {"", "http_threads", VIGIL_FIELD(c.http_threads), 1, 1024,
       "HTTP threads: requests served at once (idle and slow connections hold none)"},
      {"", "max_connections", VIGIL_FIELD(c.max_connections), 1, 1000000,
       "open connections; more are answered 503 at once and closed"},
      {"", "max_body_bytes", VIGIL_FIELD(c.max_body_bytes), 1024, kMaxBytes,
       "larger request bodies get 413 (video uploads: jobs.max_upload_bytes)"},
      {"", "read_timeout_seconds", VIGIL_FIELD(c.read_timeout_seconds), 1, 3600,
       "a client that sends nothing for this long gets 400 and is disconnected"},
      {"", "header_timeout_seconds", VIGIL_FIELD(c.header_timeout_seconds), 1, 3600,
       "a request's line and headers must arrive within this, in total (else 400)"},
      {"", "body_timeout_seconds", VIGIL_FIELD(c.body_timeout_seconds), 1, 86400,
       "a request's body must arrive within this plus its size / body_min_bytes_per_second (else 400)"},
      {"", "body_min_bytes_per_second", VIGIL_FIELD(c.body_min_bytes_per_second), 1, 1 << 30,
       "slowest upload rate granted beyond body_timeout_seconds"},
      {"", "request_timeout_seconds", VIGIL_FIELD(c.request_timeout_seconds), 1, 3600,
       "a classify request not answered by then gets 504"},
      {"", "retry_after_seconds", VIGIL_FIELD(c.retry_after_seconds), 0, 3600, "Retry-After on 429/503"},
      {"", "max_images_per_request", VIGIL_FIELD(c.max_images_per_request), 1, 4096,
       "multipart parts per classify request"},
      {"", "metrics_public", VIGIL_FIELD(c.metrics_public), kNone, kNone, "/metrics without an API key"},
      {"", "api_keys", VIGIL_FIELD(c.api_keys), kNone, kNone,
       "`- {key: \"...\", role: read}` (classify, models, submit/read/cancel jobs) or role admin (+ reload, "
       "list jobs); keys of at least 8 characters; none = no authentication"},
      {"models", "repository", VIGIL_FIELD(c.service.common.repository), kNone, kNone,
       "model repository (`vigil serve` default: $VIGIL_MODELS, else ./models)"},
      {"models", "load", VIGIL_FIELD(c.service.models), kNone, kNone,
       "models to load, e.g. `[nsfw_mobilenet_v2, \"nsfw_inception_v3:1\"]`; empty = all"},
      {"models", "default", VIGIL_FIELD(c.service.default_model), kNone, kNone,
       "model of a classify request that names none"},
      {"inference", "workers", VIGIL_FIELD(c.service.workers), 0, 256, "inference threads; 0 = one per core"},
      {"inference", "max_batch", VIGIL_FIELD(c.service.max_batch), 1, 256, "dynamic batching: images per call"},
      {"inference", "max_batch_delay_us", VIGIL_FIELD(c.service.max_batch_delay), 0, 1000000,
       "how long a partial batch waits for more images"},
      {"inference", "max_queue", VIGIL_FIELD(c.service.max_queue), 1, 1000000,
       "images waiting; beyond this, 503 at once"},
      {"limits", "max_pixels", VIGIL_FIELD(c.service.common.decode.max_pixels), 1, 1e12,
       "declared width x height above this: 413 before decoding"},
      {"limits", "max_dimension", VIGIL_FIELD(c.service.common.decode.max_dimension), 1, 1000000,
       "largest width or height"},
      {"limits", "max_image_bytes", VIGIL_FIELD(c.service.common.decode.max_bytes), 1, kMaxBytes, "largest image file"},
      {"limits", "max_decode_bytes", VIGIL_FIELD(c.service.common.decode.max_decode_bytes), 1, kMaxBytes,
       "memory one image decode may take (frame and intermediates): 413 above it"},
      {"limits", "detect_min_score_threshold", VIGIL_FIELD(c.service.detect_min_score_threshold), 0, 1,
       "lowest per-request score_threshold a detection request may ask"},
      {"limits", "detect_max_detections", VIGIL_FIELD(c.service.detect_max_detections), 1, 10000,
       "highest per-request max_detections"},
      {"jobs", "enabled", VIGIL_FIELD(c.jobs.enabled), kNone, kNone, "false: the job routes answer 503"},
      {"jobs", "database", VIGIL_FIELD(c.jobs.database), kNone, kNone,
       "job store: an SQLite file (WAL) or a postgresql:// URL; `--database` overrides"},
      {"jobs", "data_dir", VIGIL_FIELD(c.jobs.data_dir), kNone, kNone,
       "uploaded videos; \"\" = jobs/ beside the database"},
      {"jobs", "workers", VIGIL_FIELD(c.jobs.workers), 1, 64,
       "jobs at once (a video job uses 2 threads: decode, inference)"},
      {"jobs", "max_attempts", VIGIL_FIELD(c.jobs.max_attempts), 1, 100,
       "claims per job; a crash mid-run counts as one"},
      {"jobs", "drain_timeout_seconds", VIGIL_FIELD(c.jobs.drain_timeout_seconds), 0, 86400,
       "on SIGTERM: wait for running jobs, then re-queue them"},
      {"jobs", "max_upload_bytes", VIGIL_FIELD(c.jobs.max_upload_bytes), 1024, kMaxBytes,
       "larger video uploads get 413"},
      {"jobs", "allowed_content_types", VIGIL_FIELD(c.jobs.allowed_content_types), kNone, kNone,
       "Content-Type prefixes of a video upload"},
      {"jobs", "input_dirs", VIGIL_FIELD(c.jobs.input_dirs), kNone, kNone,
       "server-local directories a JSON `{\"path\": ...}` request may name; empty = uploads only"},
      {"jobs", "keep_uploads", VIGIL_FIELD(c.jobs.keep_uploads), kNone, kNone, "keep uploaded files after their job"},
      {"jobs", "time_budget_seconds", VIGIL_FIELD(c.jobs.time_budget_seconds), 0, 86400 * 7,
       "wall-clock budget per video; 0 = none"},
      {"jobs", "min_sample_interval_seconds", VIGIL_FIELD(c.jobs.sampler_limits.min_interval_s), 1e-6, 3600,
       "shortest interval:N a video job may ask; shorter is refused (400)"},
      {"jobs", "max_sampled_frames", VIGIL_FIELD(c.jobs.sampler_limits.max_sampled_frames), 0, 1e9,
       "frames sampled from one video at most; 0 = no cap"},
      {"jobs", "cached_taggers", VIGIL_FIELD(c.jobs.cached_taggers), 1, 64,
       "option sets whose video taggers stay cached (they run the service's models)"},
      {"jobs", "retention_hours", VIGIL_FIELD(c.jobs.retention_hours), 0, 24 * 365 * 10,
       "finished jobs older than this are deleted; 0 = keep"},
      {"callbacks", "allowed_hosts", VIGIL_FIELD(c.callbacks.allowed_hosts), kNone, kNone,
       "hosts a callback URL may name, e.g. `[hooks.internal, 10.0.0.7]`; empty = callbacks refused"},
      {"callbacks", "timeout_seconds", VIGIL_FIELD(c.callbacks.timeout_seconds), 1, 300, "per attempt"},
      {"callbacks", "max_attempts", VIGIL_FIELD(c.callbacks.max_attempts), 1, 100, "then the callback is failed"},
      {"callbacks", "retry_backoff_ms", VIGIL_FIELD(c.callbacks.retry_backoff_ms), 0, 3600000,
       "first retry delay, doubled per retry (at most 60 s)"},
      {"callbacks", "signing_secrets", VIGIL_FIELD(c.callbacks.signing_secrets), kNone, kNone,
       "`whsec_...` secrets; each callback is signed with every one (rotation)"},
      {"banks", "enabled", VIGIL_FIELD(c.banks.enabled), kNone, kNone,
       "false: the hash-bank routes answer 503 (`/v1/images:hash` still works)"},
      {"banks", "database", VIGIL_FIELD(c.banks.database), kNone, kNone,
       "hash banks' database (SQLite file or postgresql:// URL); \"\" = jobs.database"},
      {"banks", "refresh_seconds", VIGIL_FIELD(c.banks.refresh_seconds), 1, 86400,
       "hashes added by other processes become matchable within this"},
      {"moderation", "enabled", VIGIL_FIELD(c.moderation.enabled), kNone, kNone,
       "moderate with `moderation.policy` when its file exists and its models are loaded (else the "
       "moderation routes answer 503); false: off"},
      {"moderation", "policy", VIGIL_FIELD(c.moderation.policy), kNone, kNone,
       "policy YAML; \"\" = $VIGIL_POLICY, else policies/default.yaml beside the binary (as `vigil moderate`); "
       "an explicit policy that cannot be loaded stops the start-up. Decisions go to `jobs.database`"},
      {"moderation", "video_sampler", VIGIL_FIELD(c.moderation.video_sampler), kNone, kNone,
       "frame sampler of video moderation jobs that name none (keyframes, interval:SECONDS, scene[:T], all)"},
  };
  return table;
}

#undef VIGIL_FIELD

const std::vector<std::string>& Sections() {
  static const std::vector<std::string> sections = {"models", "inference", "limits", "jobs", "callbacks", "banks",
                                                     "moderation"};
  return sections;
}

std::string KeyOf(const Entry& e) { return *e.section ? std::string(e.section) + "." + e.name : e.name; }

std::string Number(double v, int digits = 15) {
  std::ostringstream out;
  out << std::setprecision(digits) << v;
  return out.str();
}

std::string TypeName(const AnyRef& ref) {
  static const char* const kNames[] = {"bool",   "integer", "integer",         "integer", "number",
                                       "number", "string",  "list of strings", "integer", "list of keys"};
  return kNames[ref.index()];
}

bool IsIntegral(const AnyRef& ref) {
  return std::holds_alternative<Ref<int>>(ref) || std::holds_alternative<Ref<int64_t>>(ref) ||
         std::holds_alternative<Ref<size_t>>(ref) || std::holds_alternative<Ref<Micros>>(ref);
}

std::string RangeText(const Entry& e) {
  if (std::isnan(e.min)) return "";
  if (IsIntegral(e.ref)) return Number(e.min) + ".." + Number(e.max);
  return "[" + Number(e.min) + ", " + Number(e.max) + "]";
}

std::string YamlQuote(const std::string& s) {
  if (s.empty()) return "\"\"";
  YAML::Emitter out;
  out << YAML::DoubleQuoted << s;
  const bool plain = s.find_first_of(":#{}[],&*?|<>=!%@`'\" ") == std::string::npos;
  return plain ? s : out.c_str();
}

// The current value of a key as YAML text (the docs' default column).
std::string ValueText(const Entry& e, ServerConfig& c) {
  struct Visitor {
    ServerConfig& c;
    std::string operator()(Ref<bool> r) { return r(c) ? "true" : "false"; }
    std::string operator()(Ref<int> r) { return std::to_string(r(c)); }
    std::string operator()(Ref<int64_t> r) { return std::to_string(r(c)); }
    std::string operator()(Ref<size_t> r) { return std::to_string(r(c)); }
    std::string operator()(Ref<double> r) { return Number(r(c)); }
    std::string operator()(Ref<float> r) { return Number(double(r(c)), 7); }
    std::string operator()(Ref<std::string> r) { return YamlQuote(r(c)); }
    std::string operator()(Ref<Strings> r) {
      std::string out;
      for (const std::string& s : r(c)) out += (out.empty() ? "" : ", ") + YamlQuote(s);
      return "[" + out + "]";
    }
    std::string operator()(Ref<Micros> r) { return std::to_string(r(c).count()); }
    std::string operator()(Ref<std::vector<ApiKey>> r) { return r(c).empty() ? "[]" : "(keys)"; }
  };
  return std::visit(Visitor{c}, e.ref);
}

// The numeric value of a key, for range checks (NaN for other types).
double NumericValue(const Entry& e, const ServerConfig& config) {
  ServerConfig& c = const_cast<ServerConfig&>(config);  // accessors are read here, never written
  struct Visitor {
    ServerConfig& c;
    double operator()(Ref<int> r) { return r(c); }
    double operator()(Ref<int64_t> r) { return double(r(c)); }
    double operator()(Ref<size_t> r) { return double(r(c)); }
    double operator()(Ref<double> r) { return r(c); }
    double operator()(Ref<float> r) { return r(c); }
    double operator()(Ref<Micros> r) { return double(r(c).count()); }
    double operator()(...) { return kNone; }
  };
  return std::visit([&](auto r) { return Visitor{c}(r); }, e.ref);
}

Status TypeError(const std::string& origin, const std::string& key, const std::string& what) {
  return InvalidArgumentError(origin + ": " + key + " must be " + what);
}

// Reads one scalar or list into the field, with type errors naming the key.
Status ReadValue(const Entry& e, const YAML::Node& node, const std::string& origin, ServerConfig& c) {
  const std::string key = KeyOf(e);
  auto integer = [&](long long* out) -> Status {
    if (!node.IsScalar()) return TypeError(origin, key, "an integer");
    const std::string text = node.Scalar();
    char* end = nullptr;
    errno = 0;
    *out = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0) return TypeError(origin, key, "an integer, got \"" + text + "\"");
    return Status::Ok();
  };
  auto number = [&](double* out) -> Status {
    if (!node.IsScalar()) return TypeError(origin, key, "a number");
    const std::string text = node.Scalar();
    char* end = nullptr;
    *out = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(*out)) {
      return TypeError(origin, key, "a number, got \"" + text + "\"");
    }
    return Status::Ok();
  };
  auto strings = [&](Strings* out) -> Status {
    if (node.IsNull()) return out->clear(), Status::Ok();
    if (!node.IsSequence()) return TypeError(origin, key, "a list of strings, e.g. [a, b]");
    out->clear();
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return TypeError(origin, key, "a list of strings, e.g. [a, b]");
      out->push_back(item.Scalar());
    }
    return Status::Ok();
  };
  struct Visitor {
    const YAML::Node& node;
    ServerConfig& c;
    const std::string& origin;
    const std::string& key;
    decltype(integer)& read_integer;
    decltype(number)& read_number;
    decltype(strings)& read_strings;
    Status operator()(Ref<bool> r) {
      bool v = false;
      if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) return TypeError(origin, key, "true or false");
      r(c) = v;
      return Status::Ok();
    }
    Status operator()(Ref<int> r) {
      long long v = 0;
      VIGIL_RETURN_IF_ERROR(read_integer(&v));
      if (v < INT32_MIN || v > INT32_MAX) return TypeError(origin, key, "a 32-bit integer");
      r(c) = int(v);
      return Status::Ok();
    }
    Status operator()(Ref<int64_t> r) {
      long long v = 0;
      VIGIL_RETURN_IF_ERROR(read_integer(&v));
      r(c) = v;
      return Status::Ok();
    }
    Status operator()(Ref<size_t> r) {
      long long v = 0;
      VIGIL_RETURN_IF_ERROR(read_integer(&v));
      if (v < 0) return TypeError(origin, key, "a non-negative integer");
      r(c) = size_t(v);
      return Status::Ok();
    }
    Status operator()(Ref<double> r) { return read_number(&r(c)); }
    Status operator()(Ref<float> r) {
      double v = 0;
      VIGIL_RETURN_IF_ERROR(read_number(&v));
      r(c) = float(v);
      return Status::Ok();
    }
    Status operator()(Ref<std::string> r) {
      if (!node.IsScalar()) return TypeError(origin, key, "a string");
      r(c) = node.Scalar();
      return Status::Ok();
    }
    Status operator()(Ref<Strings> r) { return read_strings(&r(c)); }
    Status operator()(Ref<Micros> r) {
      long long v = 0;
      VIGIL_RETURN_IF_ERROR(read_integer(&v));
      r(c) = Micros(v);
      return Status::Ok();
    }
    Status operator()(Ref<std::vector<ApiKey>> r) {
      std::vector<ApiKey> keys;
      if (!node.IsNull() && !node.IsSequence()) return TypeError(origin, key, "a list of {key, role}");
      for (size_t i = 0; !node.IsNull() && i < node.size(); ++i) {
        const YAML::Node item = node[i];
        const std::string where = key + "[" + std::to_string(i) + "]";
        if (!item.IsMap()) return TypeError(origin, where, "a mapping {key: \"...\", role: read|admin}");
        for (const auto& kv : item) {
          const std::string k = kv.first.Scalar();
          if (k != "key" && k != "role") {
            const std::string near = NearestKey(k, {"key", "role"});
            return InvalidArgumentError(origin + ": unknown key \"" + k + "\" in " + where + " (known: key, role" +
                                        (near.empty() ? "" : "; did you mean \"" + near + "\"?") + ")");
          }
        }
        if (!item["key"] || !item["key"].IsScalar()) return TypeError(origin, where + ".key", "a string");
        ApiKey k;
        k.key = item["key"].Scalar();
        const std::string role = item["role"] ? item["role"].Scalar() : "read";
        if (role != "read" && role != "admin") return TypeError(origin, where + ".role", "\"read\" or \"admin\"");
        k.role = role == "admin" ? Role::kAdmin : Role::kRead;
        keys.push_back(k);
      }
      r(c) = std::move(keys);
      return Status::Ok();
    }
  };
  return std::visit(Visitor{node, c, origin, key, integer, number, strings}, e.ref);
}

// Every key of `node` (the top level when section is "") must be known.
Status CheckSectionKeys(const YAML::Node& node, const std::string& section, const std::string& origin) {
  std::vector<std::string> known;
  for (const Entry& e : Table()) {
    if (section == e.section) known.push_back(e.name);
  }
  if (section.empty()) known.insert(known.end(), Sections().begin(), Sections().end());
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string full = section.empty() ? key : section + "." + key;
    const std::string near = NearestKey(key, known);
    return InvalidArgumentError(origin + ": unknown key \"" + full + "\" " +
                                (section.empty() ? std::string("at the top level") : "in section " + section) +
                                (near.empty() ? std::string()
                                              : " (did you mean \"" + (section.empty() ? near : section + "." + near) +
                                                    "\"?)"));
  }
  return Status::Ok();
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string NearestKey(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::vector<std::string> ServerSettingSections() { return Sections(); }

std::vector<SettingInfo> ServerSettings() {
  ServerConfig defaults;
  std::vector<SettingInfo> out;
  for (const Entry& e : Table()) {
    out.push_back({e.section, e.name, KeyOf(e), TypeName(e.ref), ValueText(e, defaults), RangeText(e), e.doc});
  }
  return out;
}

Status LoadServerSettingsYaml(const std::string& yaml_text, const std::string& origin, ServerConfig* config) {
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    if (root.IsNull()) return Status::Ok();  // an empty file: every default
    if (!root.IsMap()) return InvalidArgumentError(origin + ": the top level must be a mapping");
    VIGIL_RETURN_IF_ERROR(CheckSectionKeys(root, "", origin));
    for (const std::string& section : Sections()) {
      const YAML::Node node = root[section];
      if (!node || node.IsNull()) continue;
      if (!node.IsMap()) return InvalidArgumentError(origin + ": " + section + " must be a mapping");
      VIGIL_RETURN_IF_ERROR(CheckSectionKeys(node, section, origin));
    }
    for (const Entry& e : Table()) {
      const YAML::Node parent = *e.section ? root[e.section] : root;
      if (!parent || !parent.IsMap()) continue;
      const YAML::Node node = parent[e.name];
      if (node) VIGIL_RETURN_IF_ERROR(ReadValue(e, node, origin, *config));
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(origin + ": " + e.what());
  }
  return Status::Ok();
}

Status ValidateServerSettings(const ServerConfig& config) {
  for (const Entry& e : Table()) {
    if (std::isnan(e.min)) continue;
    const double v = NumericValue(e, config);
    if (!(v >= e.min && v <= e.max)) {
      return InvalidArgumentError(KeyOf(e) + " must be in " + RangeText(e) + ", got " + Number(v));
    }
  }
  return Status::Ok();
}

std::string ServerSettingsMarkdown() {
  std::string out = "| key | type | default | valid | what |\n|---|---|---|---|---|\n";
  for (const SettingInfo& s : ServerSettings()) {
    out += "| `" + s.key + "` | " + s.type + " | `" + s.default_text + "` | " + s.range + " | " + s.doc + " |\n";
  }
  return out;
}

}  // namespace vigil::server
