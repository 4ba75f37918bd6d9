// Decisions as JSON (the one form the CLI, the HTTP API and the decision store use), the decision
// id, and SHA-256 (OpenSSL libcrypto).
#include <openssl/evp.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "moderation/moderator_impl.h"
#include "vigil/moderation.h"

namespace vigil {
namespace {

using Json = nlohmann::ordered_json;

// Scores are rounded to 6 decimals so that the same decision prints the same everywhere.
Json Score(double v) {
  if (!std::isfinite(v)) return nullptr;
  return std::round(v * 1e6) / 1e6;
}

Json EvidenceJson(const std::vector<CategoryEvidence>& evidence) {
  Json a = Json::array();
  for (const CategoryEvidence& e : evidence) {
    Json j{{"model", e.model}, {"version", e.version}, {"label", e.label}, {"score", Score(e.score)}};
    if (e.box) {
      j["box"] = {Score(e.box->x_min), Score(e.box->y_min), Score(e.box->x_max), Score(e.box->y_max)};
    }
    a.push_back(std::move(j));
  }
  return a;
}

Result<std::vector<CategoryEvidence>> EvidenceFrom(const Json& a) {
  std::vector<CategoryEvidence> out;
  for (const Json& j : a) {
    CategoryEvidence e;
    e.model = j.at("model").get<std::string>();
    e.version = j.at("version").get<int>();
    e.label = j.at("label").get<std::string>();
    e.score = j.at("score").is_null() ? NAN : j.at("score").get<float>();
    if (j.contains("box")) {
      const Json& b = j.at("box");
      e.box = Box{b.at(0).get<float>(), b.at(1).get<float>(), b.at(2).get<float>(), b.at(3).get<float>()};
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string moderation::HexString(const unsigned char* data, size_t size) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

std::string Sha256Hex(const uint8_t* data, size_t size) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr);
  return moderation::HexString(digest, length);
}

std::string Sha256Hex(const std::string& data) {
  return Sha256Hex(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

std::string DecisionId(const std::string& content_sha256, const std::string& policy_version,
                       const std::vector<ModelVersion>& models) {
  std::string key = content_sha256 + "|" + policy_version;
  for (const ModelVersion& m : models) key += "|" + m.name + ":" + std::to_string(m.version);
  return "dec_" + Sha256Hex(key).substr(0, 32);
}

std::string DecisionToJson(const Decision& d) {
  Json j;
  j["decision_id"] = d.id;
  j["outcome"] = OutcomeName(d.outcome);
  j["action"] = d.action;
  j["reason"] = d.reason;
  j["media_type"] = d.media_type;
  j["content_sha256"] = d.content_sha256;
  j["policy"] = d.policy_name;
  j["policy_version"] = d.policy_version;
  Json models = Json::array();
  for (const ModelVersion& m : d.models) models.push_back({{"name", m.name}, {"version", m.version}});
  j["models"] = std::move(models);
  Json cats = Json::array();
  for (const CategoryResult& c : d.categories) {
    Json cj{{"name", c.name},          {"score", Score(c.score)},   {"raw_score", Score(c.raw_score)},
            {"outcome", OutcomeName(c.outcome)}, {"action", c.action}, {"severity", c.severity},
            {"reason", c.reason},      {"model", c.model},          {"model_version", c.model_version},
            {"model_error", c.model_error}, {"evidence", EvidenceJson(c.evidence)}};
    cats.push_back(std::move(cj));
  }
  j["categories"] = std::move(cats);
  if (d.media_type == "video") {
    Json segs = Json::array();
    for (const DecisionSegment& s : d.segments) {
      segs.push_back({{"category", s.category},
                      {"outcome", OutcomeName(s.outcome)},
                      {"start_s", Score(s.start_s)},
                      {"end_s", Score(s.end_s)},
                      {"peak_score", Score(s.peak_score)},
                      {"evidence_time_s", Score(s.evidence_time_s)},
                      {"evidence", EvidenceJson(s.evidence)}});
    }
    j["segments"] = std::move(segs);
    j["earliest_violation_s"] = d.earliest_violation_s < 0 ? Json(nullptr) : Score(d.earliest_violation_s);
    j["frames_scored"] = d.frames_scored;
    j["stopped_early"] = d.stopped_early;
    j["duration_s"] = Score(d.duration_s);
  }
  j["latency_ms"] = std::round(d.latency_ms * 1000) / 1000;
  j["created_ms"] = d.created_ms;
  return j.dump();
}

Result<Decision> DecisionFromJson(const std::string& text) {
  try {
    const Json j = Json::parse(text);
    Decision d;
    d.id = j.at("decision_id").get<std::string>();
    VIGIL_ASSIGN_OR_RETURN(d.outcome, ParseOutcome(j.at("outcome").get<std::string>()));
    d.action = j.at("action").get<std::string>();
    d.reason = j.at("reason").get<std::string>();
    d.media_type = j.at("media_type").get<std::string>();
    d.content_sha256 = j.at("content_sha256").get<std::string>();
    d.policy_name = j.at("policy").get<std::string>();
    d.policy_version = j.at("policy_version").get<std::string>();
    for (const Json& m : j.at("models")) d.models.push_back({m.at("name").get<std::string>(), m.at("version").get<int>()});
    for (const Json& cj : j.at("categories")) {
      CategoryResult c;
      c.name = cj.at("name").get<std::string>();
      c.score = cj.at("score").is_null() ? NAN : cj.at("score").get<double>();
      c.raw_score = cj.at("raw_score").is_null() ? NAN : cj.at("raw_score").get<double>();
      VIGIL_ASSIGN_OR_RETURN(c.outcome, ParseOutcome(cj.at("outcome").get<std::string>()));
      c.action = cj.at("action").get<std::string>();
      c.severity = cj.at("severity").get<int>();
      c.reason = cj.at("reason").get<std::string>();
      c.model = cj.at("model").get<std::string>();
      c.model_version = cj.at("model_version").get<int>();
      c.model_error = cj.at("model_error").get<bool>();
      VIGIL_ASSIGN_OR_RETURN(c.evidence, EvidenceFrom(cj.at("evidence")));
      d.categories.push_back(std::move(c));
    }
    if (j.contains("segments")) {
      for (const Json& sj : j.at("segments")) {
        DecisionSegment s;
        s.category = sj.at("category").get<std::string>();
        VIGIL_ASSIGN_OR_RETURN(s.outcome, ParseOutcome(sj.at("outcome").get<std::string>()));
        s.start_s = sj.at("start_s").get<double>();
        s.end_s = sj.at("end_s").get<double>();
        s.peak_score = sj.at("peak_score").get<double>();
        s.evidence_time_s = sj.at("evidence_time_s").get<double>();
        VIGIL_ASSIGN_OR_RETURN(s.evidence, EvidenceFrom(sj.at("evidence")));
        d.segments.push_back(std::move(s));
      }
      d.earliest_violation_s = j.at("earliest_violation_s").is_null() ? -1 : j.at("earliest_violation_s").get<double>();
      d.frames_scored = j.at("frames_scored").get<int>();
      d.stopped_early = j.at("stopped_early").get<bool>();
      d.duration_s = j.at("duration_s").get<double>();
    }
    d.latency_ms = j.at("latency_ms").get<double>();
    d.created_ms = j.at("created_ms").get<int64_t>();
    return d;
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(std::string("decision JSON: ") + e.what());
  }
}

}  // namespace vigil
