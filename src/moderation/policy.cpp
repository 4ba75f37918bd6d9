// Policy files: YAML → Policy (load, normalise, validate), the normalised YAML and its version hash.
// yaml-cpp stays inside this file.
#include "vigil/policy.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "vigil/moderation.h"
#include "vigil/text_checks.h"

namespace vigil {
namespace {

constexpr size_t kMaxPolicyBytes = 1u << 20;
constexpr size_t kMaxCategories = 256;
constexpr size_t kMaxNames = 256;

// One parse: the source name for messages and the first error seen.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  Status Error(const std::string& where, const std::string& what) const {
    return InvalidArgumentError(source_ + ": " + where + ": " + what);
  }

  // Refuses keys of `node` outside `known`.
  Status CheckKeys(const YAML::Node& node, const std::string& where,
                   const std::set<std::string>& known) const {
    if (!node.IsMap()) return Error(where, "must be a mapping");
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      if (known.count(key) == 0) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        return Error(where, "unknown key '" + key + "' (known: " + list + ")");
      }
    }
    return Status::Ok();
  }

  Result<std::string> String(const YAML::Node& node, const std::string& where) const {
    if (!node.IsScalar()) return Error(where, "must be a string");
    return node.as<std::string>();
  }

  Result<double> Number(const YAML::Node& node, const std::string& where) const {
    if (!node.IsScalar()) return Error(where, "must be a number");
    double v = 0;
    if (!YAML::convert<double>::decode(node, v) || !std::isfinite(v)) {
      return Error(where, "must be a number, got '" + node.Scalar() + "'");
    }
    return v;
  }

  Result<int> Integer(const YAML::Node& node, const std::string& where, int lo, int hi) const {
    if (!node.IsScalar()) return Error(where, "must be an integer");
    long long v = 0;
    if (!YAML::convert<long long>::decode(node, v) || v < lo || v > hi) {
      return Error(where, "must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                              ", got '" + node.Scalar() + "'");
    }
    return int(v);
  }

  Result<double> Fraction(const YAML::Node& node, const std::string& where) const {
    VIGIL_ASSIGN_OR_RETURN(double v, Number(node, where));
    if (v < 0 || v > 1) return Error(where, "must be in [0, 1], got " + node.Scalar());
    return v;
  }

  Result<std::vector<std::string>> Names(const YAML::Node& node, const std::string& where) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.as<std::string>());
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        VIGIL_ASSIGN_OR_RETURN(std::string s, String(node[i], where + "[" + std::to_string(i) + "]"));
        out.push_back(std::move(s));
      }
    } else {
      return Error(where, "must be a name or a list of names");
    }
    if (out.empty()) return Error(where, "must name at least one");
    if (out.size() > kMaxNames) return Error(where, "more than " + std::to_string(kMaxNames) + " names");
    std::set<std::string> seen;
    for (const std::string& s : out) {
      VIGIL_RETURN_IF_ERROR(CheckText(s, where));
      if (s.empty()) return Error(where, "empty name");
      if (!seen.insert(s).second) return Error(where, "'" + s + "' is listed twice");
    }
    return out;
  }

  // "name" or "name:version".
  Status ModelRef(const YAML::Node& node, const std::string& where, std::string* name, int* version) const {
    VIGIL_ASSIGN_OR_RETURN(std::string text, String(node, where));
    const size_t colon = text.rfind(':');
    *version = 0;
    if (colon != std::string::npos) {
      const std::string v = text.substr(colon + 1);
      if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(v) < 1) {
        return Error(where, "model must be NAME or NAME:VERSION (version >= 1), got '" + text + "'");
      }
      *version = std::stoi(v);
      text = text.substr(0, colon);
    }
    Status s = CheckName(text, where);
    if (!s.ok()) return Error(where, "model name '" + text + "': " + s.message());
    *name = text;
    return Status::Ok();
  }

 private:
  std::string source_;
};

bool IsIdentifier(const std::string& s, bool allow_dash) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (allow_dash && c == '-');
    if (!ok) return false;
  }
  return true;
}

Status ParseSignal(const Reader& r, const YAML::Node& node, const std::string& where, PolicySignal* out) {
  VIGIL_RETURN_IF_ERROR(r.CheckKeys(node, where, {"model", "labels", "combine", "classes", "min_score", "min_area"}));
  if (!node["model"]) return r.Error(where, "missing 'model'");
  VIGIL_RETURN_IF_ERROR(r.ModelRef(node["model"], where + ".model", &out->model, &out->version));
  const bool has_labels = bool(node["labels"]);
  const bool has_classes = bool(node["classes"]);
  if (has_labels == has_classes) {
    return r.Error(where, "give exactly one of 'labels' (a classifier) or 'classes' (a detector)");
  }
  if (has_labels) {
    out->kind = PolicySignal::Kind::kLabels;
    VIGIL_ASSIGN_OR_RETURN(out->labels, r.Names(node["labels"], where + ".labels"));
    if (node["min_score"] || node["min_area"]) {
      return r.Error(where, "'min_score' and 'min_area' apply to detector 'classes', not 'labels'");
    }
    if (node["combine"]) {
      VIGIL_ASSIGN_OR_RETURN(std::string c, r.String(node["combine"], where + ".combine"));
      if (c == "sum") out->combine = PolicySignal::Combine::kSum;
      else if (c == "max") out->combine = PolicySignal::Combine::kMax;
      else return r.Error(where + ".combine", "must be 'sum' or 'max', got '" + c + "'");
    }
  } else {
    out->kind = PolicySignal::Kind::kDetections;
    VIGIL_ASSIGN_OR_RETURN(out->classes, r.Names(node["classes"], where + ".classes"));
    if (node["combine"]) return r.Error(where, "'combine' applies to 'labels' (detections use the best box)");
    if (node["min_score"]) {
      VIGIL_ASSIGN_OR_RETURN(double v, r.Fraction(node["min_score"], where + ".min_score"));
      out->min_score = float(v);
    }
    if (node["min_area"]) {
      VIGIL_ASSIGN_OR_RETURN(double v, r.Fraction(node["min_area"], where + ".min_area"));
      out->min_area = float(v);
    }
  }
  return Status::Ok();
}

Status ParseCategory(const Reader& r, const YAML::Node& node, const std::string& where, PolicyCategory* c) {
  VIGIL_RETURN_IF_ERROR(r.CheckKeys(node, where, {"name", "description", "severity", "signal", "cascade",
                                                  "calibration", "review_at", "block_at", "actions", "target"}));
  if (!node["name"]) return r.Error(where, "missing 'name'");
  VIGIL_ASSIGN_OR_RETURN(c->name, r.String(node["name"], where + ".name"));
  if (!IsIdentifier(c->name, false)) {
    return r.Error(where + ".name", "'" + c->name + "' must be 1-64 characters of a-z, 0-9 and _");
  }
  const std::string at = "category '" + c->name + "'";
  if (node["description"]) {
    VIGIL_ASSIGN_OR_RETURN(c->description, r.String(node["description"], at + ".description"));
  }
  if (node["severity"]) {
    VIGIL_ASSIGN_OR_RETURN(c->severity, r.Integer(node["severity"], at + ".severity", 1, 10));
  }
  if (!node["signal"]) return r.Error(at, "missing 'signal'");
  VIGIL_RETURN_IF_ERROR(ParseSignal(r, node["signal"], at + ".signal", &c->signal));
  if (!node["review_at"]) return r.Error(at, "missing 'review_at'");
  VIGIL_ASSIGN_OR_RETURN(c->review_at, r.Fraction(node["review_at"], at + ".review_at"));
  if (node["block_at"]) {
    VIGIL_ASSIGN_OR_RETURN(double b, r.Fraction(node["block_at"], at + ".block_at"));
    if (b < c->review_at) {
      return r.Error(at, "block_at " + node["block_at"].Scalar() + " is below review_at " +
                             node["review_at"].Scalar() + " (thresholds out of order)");
    }
    c->block_at = b;
  }
  if (node["cascade"]) {
    const YAML::Node& n = node["cascade"];
    const std::string w = at + ".cascade";
    VIGIL_RETURN_IF_ERROR(r.CheckKeys(n, w, {"model", "band"}));
    if (!n["model"] || !n["band"]) return r.Error(w, "needs 'model' and 'band: [low, high]'");
    PolicyCascade cascade;
    VIGIL_RETURN_IF_ERROR(r.ModelRef(n["model"], w + ".model", &cascade.model, &cascade.version));
    if (!n["band"].IsSequence() || n["band"].size() != 2) return r.Error(w + ".band", "must be [low, high]");
    VIGIL_ASSIGN_OR_RETURN(cascade.low, r.Fraction(n["band"][0], w + ".band[0]"));
    VIGIL_ASSIGN_OR_RETURN(cascade.high, r.Fraction(n["band"][1], w + ".band[1]"));
    if (cascade.low >= cascade.high) return r.Error(w + ".band", "low must be below high");
    if (cascade.model == c->signal.model && cascade.version == c->signal.version) {
      return r.Error(w + ".model", "is the signal's own model");
    }
    c->cascade = cascade;
  }
  if (node["calibration"]) {
    const YAML::Node& n = node["calibration"];
    const std::string w = at + ".calibration";
    VIGIL_RETURN_IF_ERROR(r.CheckKeys(n, w, {"method", "a", "b"}));
    if (n["method"]) {
      VIGIL_ASSIGN_OR_RETURN(std::string m, r.String(n["method"], w + ".method"));
      if (m != "platt") return r.Error(w + ".method", "must be 'platt', got '" + m + "'");
    }
    if (!n["a"] || !n["b"]) return r.Error(w, "needs 'a' and 'b' (score = 1 / (1 + exp(-(a * raw + b))))");
    PlattCalibration p;
    VIGIL_ASSIGN_OR_RETURN(p.a, r.Number(n["a"], w + ".a"));
    VIGIL_ASSIGN_OR_RETURN(p.b, r.Number(n["b"], w + ".b"));
    if (!(p.a > 0)) return r.Error(w + ".a", "must be > 0 (a calibration must keep the score's order)");
    c->calibration = p;
  }
  if (node["actions"]) {
    const YAML::Node& n = node["actions"];
    const std::string w = at + ".actions";
    VIGIL_RETURN_IF_ERROR(r.CheckKeys(n, w, {"allow", "review", "block"}));
    for (auto [key, field] : {std::pair<const char*, std::string*>{"allow", &c->allow_action},
                              {"review", &c->review_action}, {"block", &c->block_action}}) {
      if (!n[key]) continue;
      VIGIL_ASSIGN_OR_RETURN(*field, r.String(n[key], w + "." + key));
      if (!IsIdentifier(*field, false)) return r.Error(w + "." + key, "'" + *field + "' must be a-z, 0-9 and _");
    }
  }
  if (node["target"]) {
    const YAML::Node& n = node["target"];
    const std::string w = at + ".target";
    VIGIL_RETURN_IF_ERROR(r.CheckKeys(n, w, {"recall", "precision"}));
    if (n.size() != 1) return r.Error(w, "give exactly one of 'recall' or 'precision'");
    PolicyTarget t;
    t.metric = n["recall"] ? PolicyTarget::Metric::kRecall : PolicyTarget::Metric::kPrecision;
    const char* key = n["recall"] ? "recall" : "precision";
    VIGIL_ASSIGN_OR_RETURN(t.value, r.Fraction(n[key], w + "." + key));
    if (!(t.value > 0)) return r.Error(w, "must be > 0");
    c->target = t;
  }
  return Status::Ok();
}

Result<Policy> ParseTree(const YAML::Node& root, const std::string& source) {
  Reader r(source);
  Policy p;
  VIGIL_RETURN_IF_ERROR(r.CheckKeys(root, "policy", {"name", "description", "on_model_error", "model_deadline_ms",
                                                     "categories"}));
  if (!root["name"]) return r.Error("policy", "missing 'name'");
  VIGIL_ASSIGN_OR_RETURN(p.name, r.String(root["name"], "name"));
  if (!IsIdentifier(p.name, true)) return r.Error("name", "'" + p.name + "' must be 1-64 characters of a-z, 0-9, _ and -");
  if (root["description"]) {
    VIGIL_ASSIGN_OR_RETURN(p.description, r.String(root["description"], "description"));
  }
  if (root["on_model_error"]) {
    VIGIL_ASSIGN_OR_RETURN(std::string s, r.String(root["on_model_error"], "on_model_error"));
    if (s == "review") p.on_model_error = Outcome::kReview;
    else if (s == "block") p.on_model_error = Outcome::kBlock;
    else return r.Error("on_model_error", "must be 'review' or 'block' (a failed model never allows), got '" + s + "'");
  }
  if (root["model_deadline_ms"]) {
    VIGIL_ASSIGN_OR_RETURN(p.model_deadline_ms, r.Integer(root["model_deadline_ms"], "model_deadline_ms", 1, 600000));
  }
  const YAML::Node& cats = root["categories"];
  if (!cats || !cats.IsSequence() || cats.size() == 0) return r.Error("policy", "'categories' must be a non-empty list");
  if (cats.size() > kMaxCategories) return r.Error("categories", "more than " + std::to_string(kMaxCategories));
  std::set<std::string> names;
  for (size_t i = 0; i < cats.size(); ++i) {
    PolicyCategory c;
    VIGIL_RETURN_IF_ERROR(ParseCategory(r, cats[i], "categories[" + std::to_string(i) + "]", &c));
    if (!names.insert(c.name).second) return r.Error("categories", "category '" + c.name + "' is defined twice");
    p.categories.push_back(std::move(c));
  }
  p.version = "sha256:" + Sha256Hex(NormalizedPolicyYaml(p));
  return p;
}

std::string Num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

std::string ModelText(const std::string& name, int version) {
  return version > 0 ? name + ":" + std::to_string(version) : name;
}

}  // namespace

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kAllow: return "allow";
    case Outcome::kReview: return "review";
    case Outcome::kBlock: return "block";
  }
  return "?";
}

Result<Outcome> ParseOutcome(const std::string& text) {
  if (text == "allow") return Outcome::kAllow;
  if (text == "review") return Outcome::kReview;
  if (text == "block") return Outcome::kBlock;
  return InvalidArgumentError("outcome must be allow, review or block, got '" + text + "'");
}

Result<Policy> ParsePolicy(const std::string& yaml_text, const std::string& source_name) {
  if (yaml_text.size() > kMaxPolicyBytes) {
    return InvalidArgumentError(source_name + ": larger than " + std::to_string(kMaxPolicyBytes) + " bytes");
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(source_name + ": not valid YAML: " + e.what());
  }
  try {
    return ParseTree(root, source_name);
  } catch (const YAML::Exception& e) {  // e.g. a non-scalar key
    return InvalidArgumentError(source_name + ": " + e.what());
  }
}

Result<Policy> LoadPolicyFile(const std::string& path) {
  VIGIL_RETURN_IF_ERROR(CheckText(path, "policy path"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot read policy file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParsePolicy(text, path);
}

std::string NormalizedPolicyYaml(const Policy& p) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << p.name;
  e << YAML::Key << "description" << YAML::Value << YAML::DoubleQuoted << p.description;
  e << YAML::Key << "on_model_error" << YAML::Value << OutcomeName(p.on_model_error);
  e << YAML::Key << "model_deadline_ms" << YAML::Value << p.model_deadline_ms;
  e << YAML::Key << "categories" << YAML::Value << YAML::BeginSeq;
  for (const PolicyCategory& c : p.categories) {
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << c.name;
    e << YAML::Key << "description" << YAML::Value << YAML::DoubleQuoted << c.description;
    e << YAML::Key << "severity" << YAML::Value << c.severity;
    e << YAML::Key << "signal" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "model" << YAML::Value << ModelText(c.signal.model, c.signal.version);
    if (c.signal.kind == PolicySignal::Kind::kLabels) {
      e << YAML::Key << "labels" << YAML::Value << YAML::Flow << c.signal.labels;
      e << YAML::Key << "combine" << YAML::Value << (c.signal.combine == PolicySignal::Combine::kSum ? "sum" : "max");
    } else {
      e << YAML::Key << "classes" << YAML::Value << YAML::Flow << c.signal.classes;
      e << YAML::Key << "min_score" << YAML::Value << Num(c.signal.min_score);
      e << YAML::Key << "min_area" << YAML::Value << Num(c.signal.min_area);
    }
    e << YAML::EndMap;
    if (c.cascade) {
      e << YAML::Key << "cascade" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "model" << YAML::Value << ModelText(c.cascade->model, c.cascade->version);
      e << YAML::Key << "band" << YAML::Value << YAML::Flow << YAML::BeginSeq << Num(c.cascade->low)
        << Num(c.cascade->high) << YAML::EndSeq;
      e << YAML::EndMap;
    }
    if (c.calibration) {
      e << YAML::Key << "calibration" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << "method" << YAML::Value << "platt";
      e << YAML::Key << "a" << YAML::Value << Num(c.calibration->a);
      e << YAML::Key << "b" << YAML::Value << Num(c.calibration->b);
      e << YAML::EndMap;
    }
    e << YAML::Key << "review_at" << YAML::Value << Num(c.review_at);
    if (c.block_at) e << YAML::Key << "block_at" << YAML::Value << Num(*c.block_at);
    e << YAML::Key << "actions" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "allow" << YAML::Value << c.allow_action;
    e << YAML::Key << "review" << YAML::Value << c.review_action;
    e << YAML::Key << "block" << YAML::Value << c.block_action;
    e << YAML::EndMap;
    if (c.target) {
      e << YAML::Key << "target" << YAML::Value << YAML::BeginMap;
      e << YAML::Key << (c.target->metric == PolicyTarget::Metric::kRecall ? "recall" : "precision")
        << YAML::Value << Num(c.target->value);
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

std::vector<std::string> PolicyModelRefs(const Policy& policy) {
  std::vector<std::string> refs;
  auto add = [&](const std::string& name, int version) {
    const std::string t = ModelText(name, version);
    for (const std::string& r : refs) {
      if (r == t) return;
    }
    refs.push_back(t);
  };
  for (const PolicyCategory& c : policy.categories) {
    add(c.signal.model, c.signal.version);
    if (c.cascade) add(c.cascade->model, c.cascade->version);
  }
  return refs;
}

namespace {

Status CheckSignalModel(const std::string& at, const PolicySignal& signal, const std::string& name,
                        int version, const ModelProvider& models) {
  std::shared_ptr<const ScoringModel> m = models.FindModel(name, version);
  if (m == nullptr) {
    return InvalidArgumentError(at + ": model '" + ModelText(name, version) + "' is not loaded (unknown model)");
  }
  const bool labels = signal.kind == PolicySignal::Kind::kLabels;
  const std::string want_task = labels ? "classification" : "detection";
  if (m->task() != want_task) {
    return InvalidArgumentError(at + ": model '" + name + "' is a " + m->task() + " model; " +
                                (labels ? "'labels' need a classification model"
                                        : "'classes' need a detection model"));
  }
  const std::vector<std::string>& wanted = labels ? signal.labels : signal.classes;
  std::set<std::string> known(m->labels().begin(), m->labels().end());
  for (const std::string& l : wanted) {
    if (known.count(l) == 0) {
      std::string list;
      for (size_t i = 0; i < m->labels().size() && i < 12; ++i) list += (i ? ", " : "") + m->labels()[i];
      if (m->labels().size() > 12) list += ", ...";
      return InvalidArgumentError(at + ": model '" + name + "' has no " + (labels ? "label" : "class") + " '" + l +
                                  "' (it has: " + list + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Status CheckPolicyModels(const Policy& policy, const ModelProvider& models) {
  for (const PolicyCategory& c : policy.categories) {
    const std::string at = "policy " + policy.name + ", category '" + c.name + "'";
    VIGIL_RETURN_IF_ERROR(CheckSignalModel(at, c.signal, c.signal.model, c.signal.version, models));
    if (c.cascade) {
      VIGIL_RETURN_IF_ERROR(CheckSignalModel(at + " cascade", c.signal, c.cascade->model, c.cascade->version, models));
    }
  }
  return Status::Ok();
}

double SignalScore(const PolicySignal& signal, const ModelOutput& output, int image_width, int image_height,
                   std::vector<CategoryEvidence>* evidence) {
  if (signal.kind == PolicySignal::Kind::kLabels) {
    double score = 0;
    for (const std::string& want : signal.labels) {
      for (const LabelScore& l : output.labels) {
        if (l.label != want) continue;
        score = signal.combine == PolicySignal::Combine::kSum ? score + l.score : std::max(score, double(l.score));
        if (evidence != nullptr) evidence->push_back({output.model, output.version, l.label, l.score, std::nullopt});
      }
    }
    return std::min(1.0, std::max(0.0, score));  // a sum of softmax outputs can round above 1
  }
  const double area = double(std::max(1, image_width)) * std::max(1, image_height);
  double best = 0;
  std::vector<CategoryEvidence> hits;
  for (const Detection& d : output.detections) {
    bool wanted = false;
    for (const std::string& c : signal.classes) wanted = wanted || d.label == c;
    if (!wanted || d.score < signal.min_score) continue;
    if (double(d.box.width()) * d.box.height() < signal.min_area * area) continue;
    hits.push_back({output.model, output.version, d.label, d.score, d.box});
    best = std::max(best, double(d.score));
  }
  if (evidence != nullptr) {
    for (CategoryEvidence& h : hits) evidence->push_back(std::move(h));
  }
  return best;
}

CategoryResult DecideCategory(const PolicyCategory& c, double raw_score) {
  CategoryResult r;
  r.name = c.name;
  r.severity = c.severity;
  r.raw_score = raw_score;
  r.score = raw_score;
  if (c.calibration) r.score = 1.0 / (1.0 + std::exp(-(c.calibration->a * raw_score + c.calibration->b)));
  char buf[160];
  if (c.block_at && r.score >= *c.block_at) {
    r.outcome = Outcome::kBlock;
    r.action = c.block_action;
    std::snprintf(buf, sizeof buf, "score %.4f >= block_at %.4g", r.score, *c.block_at);
  } else if (r.score >= c.review_at) {
    r.outcome = Outcome::kReview;
    r.action = c.review_action;
    std::snprintf(buf, sizeof buf, "score %.4f >= review_at %.4g", r.score, c.review_at);
  } else {
    r.outcome = Outcome::kAllow;
    r.action = c.allow_action;
    std::snprintf(buf, sizeof buf, "score %.4f < review_at %.4g", r.score, c.review_at);
  }
  r.reason = buf;
  return r;
}

CategoryResult FailedCategory(const Policy& policy, const PolicyCategory& c, const std::string& model, int version,
                              const Status& error) {
  CategoryResult r;
  r.name = c.name;
  r.severity = c.severity;
  r.raw_score = r.score = std::nan("");
  r.outcome = policy.on_model_error == Outcome::kAllow ? Outcome::kReview : policy.on_model_error;
  r.action = r.outcome == Outcome::kBlock ? c.block_action : c.review_action;
  r.model = model;
  r.model_version = version;
  r.model_error = true;
  r.reason = "model " + ModelText(model, version) + " failed (" + std::string(StatusCodeName(error.code())) +
             "): " + error.message() + "; on_model_error: " + OutcomeName(r.outcome);
  return r;
}

}  // namespace vigil
