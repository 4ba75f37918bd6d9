// JSON form of an Evaluation (metrics.json): EvaluationToJson and its inverse EvaluationFromJson.
// Undefined values (NaN, the +inf first ROC threshold) are written as null.
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "vigil/eval.h"

namespace vigil {
namespace {

using nlohmann::json;

json Num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Nums(const std::vector<double>& v) {
  json a = json::array();
  for (double x : v) a.push_back(Num(x));
  return a;
}

double ToNum(const json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> ToNums(const json& j) {
  std::vector<double> v;
  for (const json& x : j) v.push_back(ToNum(x));
  return v;
}

json AveragedToJson(const AveragedMetrics& a) {
  return {{"precision", Num(a.precision)}, {"recall", Num(a.recall)},
          {"f1", Num(a.f1)},               {"fbeta", Num(a.fbeta)},
          {"average_precision", Num(a.average_precision)}, {"roc_auc", Num(a.roc_auc)}};
}

AveragedMetrics AveragedFromJson(const json& j) {
  AveragedMetrics a;
  a.precision = ToNum(j.at("precision"));
  a.recall = ToNum(j.at("recall"));
  a.f1 = ToNum(j.at("f1"));
  a.fbeta = ToNum(j.at("fbeta"));
  a.average_precision = ToNum(j.at("average_precision"));
  a.roc_auc = ToNum(j.at("roc_auc"));
  return a;
}

json ThresholdsToJson(const std::vector<ThresholdPoint>& points) {
  json a = json::array();
  for (const ThresholdPoint& p : points) {
    a.push_back({{"target", p.target},
                 {"found", p.found},
                 {"threshold", Num(p.threshold)},
                 {"precision", Num(p.precision)},
                 {"recall", Num(p.recall)}});
  }
  return a;
}

std::vector<ThresholdPoint> ThresholdsFromJson(const json& j) {
  std::vector<ThresholdPoint> v;
  for (const json& x : j) {
    ThresholdPoint p;
    p.target = ToNum(x.at("target"));
    p.found = x.at("found").get<bool>();
    p.threshold = ToNum(x.at("threshold"));
    p.precision = ToNum(x.at("precision"));
    p.recall = ToNum(x.at("recall"));
    v.push_back(p);
  }
  return v;
}

json GapToJson(const SliceGap& g) {
  return {{"metric", g.metric}, {"best_slice", g.best_slice}, {"worst_slice", g.worst_slice},
          {"best", Num(g.best)}, {"worst", Num(g.worst)},     {"gap", Num(g.gap)}};
}

SliceGap GapFromJson(const json& j) {
  SliceGap g;
  g.metric = j.at("metric").get<std::string>();
  g.best_slice = j.at("best_slice").get<std::string>();
  g.worst_slice = j.at("worst_slice").get<std::string>();
  g.best = ToNum(j.at("best"));
  g.worst = ToNum(j.at("worst"));
  g.gap = ToNum(j.at("gap"));
  return g;
}

}  // namespace

std::string EvaluationToJson(const Evaluation& e) {
  json j;
  j["count"] = e.count;
  j["accuracy"] = Num(e.accuracy);
  j["beta"] = e.beta;
  j["class_names"] = e.class_names;
  j["macro"] = AveragedToJson(e.macro);
  j["weighted"] = AveragedToJson(e.weighted);
  json classes = json::array();
  for (size_t c = 0; c < e.classes.size(); ++c) {
    const ClassMetrics& m = e.classes[c];
    json jc = {{"name", m.name},
               {"support", m.support},
               {"predicted", m.predicted},
               {"precision", Num(m.precision)},
               {"recall", Num(m.recall)},
               {"f1", Num(m.f1)},
               {"fbeta", Num(m.fbeta)},
               {"average_precision", Num(m.average_precision)},
               {"roc_auc", Num(m.roc_auc)}};
    if (c < e.thresholds.size()) {
      jc["thresholds"] = {{"at_recall", ThresholdsToJson(e.thresholds[c].at_recall)},
                          {"at_precision", ThresholdsToJson(e.thresholds[c].at_precision)}};
    }
    if (c < e.curves.size()) {
      const ClassCurves& cv = e.curves[c];
      jc["pr_curve"] = {{"precision", Nums(cv.pr.precision)},
                        {"recall", Nums(cv.pr.recall)},
                        {"thresholds", Nums(cv.pr.thresholds)}};
      jc["roc_curve"] = {{"fpr", Nums(cv.roc.fpr)},
                         {"tpr", Nums(cv.roc.tpr)},
                         {"thresholds", Nums(cv.roc.thresholds)}};
    }
    classes.push_back(std::move(jc));
  }
  j["classes"] = std::move(classes);
  j["confusion"] = e.confusion;
  json bins = json::array();
  for (const ReliabilityBin& b : e.calibration.bins) {
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"mean_confidence", Num(b.mean_confidence)},
                    {"accuracy", Num(b.accuracy)}});
  }
  j["calibration"] = {{"ece", Num(e.calibration.ece)},
                      {"mce", Num(e.calibration.mce)},
                      {"nll", Num(e.calibration.nll)},
                      {"brier", Num(e.calibration.brier)},
                      {"bins", std::move(bins)}};
  if (e.temperature) {
    j["temperature"] = {{"temperature", Num(e.temperature->temperature)},
                        {"nll_before", Num(e.temperature->nll_before)},
                        {"nll_after", Num(e.temperature->nll_after)}};
  }
  if (e.slices) {
    json slices = json::array();
    for (const SliceMetrics& s : e.slices->slices) {
      slices.push_back({{"slice", s.slice},
                        {"count", s.count},
                        {"accuracy", Num(s.accuracy)},
                        {"macro_f1", Num(s.macro_f1)},
                        {"support", s.support},
                        {"recall", Nums(s.recall)}});
    }
    json gaps = json::array();
    for (const SliceGap& g : e.slices->gaps) gaps.push_back(GapToJson(g));
    j["slices"] = {{"slices", std::move(slices)},
                   {"gaps", std::move(gaps)},
                   {"largest", e.slices->largest ? GapToJson(*e.slices->largest) : json()}};
  }
  return j.dump(1);
}

Result<Evaluation> EvaluationFromJson(const std::string& text) {
  try {
    const json j = json::parse(text);
    Evaluation e;
    e.count = j.at("count").get<int>();
    e.accuracy = ToNum(j.at("accuracy"));
    e.beta = ToNum(j.at("beta"));
    e.class_names = j.at("class_names").get<std::vector<std::string>>();
    e.macro = AveragedFromJson(j.at("macro"));
    e.weighted = AveragedFromJson(j.at("weighted"));
    for (const json& jc : j.at("classes")) {
      ClassMetrics m;
      m.name = jc.at("name").get<std::string>();
      m.support = jc.at("support").get<int>();
      m.predicted = jc.at("predicted").get<int>();
      m.precision = ToNum(jc.at("precision"));
      m.recall = ToNum(jc.at("recall"));
      m.f1 = ToNum(jc.at("f1"));
      m.fbeta = ToNum(jc.at("fbeta"));
      m.average_precision = ToNum(jc.at("average_precision"));
      m.roc_auc = ToNum(jc.at("roc_auc"));
      e.classes.push_back(m);
      if (jc.contains("thresholds")) {
        ClassThresholds t;
        t.at_recall = ThresholdsFromJson(jc["thresholds"].at("at_recall"));
        t.at_precision = ThresholdsFromJson(jc["thresholds"].at("at_precision"));
        e.thresholds.push_back(std::move(t));
      }
      if (jc.contains("pr_curve") && jc.contains("roc_curve")) {
        ClassCurves cv;
        cv.pr.precision = ToNums(jc["pr_curve"].at("precision"));
        cv.pr.recall = ToNums(jc["pr_curve"].at("recall"));
        cv.pr.thresholds = ToNums(jc["pr_curve"].at("thresholds"));
        cv.roc.fpr = ToNums(jc["roc_curve"].at("fpr"));
        cv.roc.tpr = ToNums(jc["roc_curve"].at("tpr"));
        cv.roc.thresholds = ToNums(jc["roc_curve"].at("thresholds"));
        if (!cv.roc.thresholds.empty() && std::isnan(cv.roc.thresholds[0]))
          cv.roc.thresholds[0] = std::numeric_limits<double>::infinity();
        e.curves.push_back(std::move(cv));
      }
    }
    e.confusion = j.at("confusion").get<std::vector<std::vector<int>>>();
    const json& cal = j.at("calibration");
    e.calibration.ece = ToNum(cal.at("ece"));
    e.calibration.mce = ToNum(cal.at("mce"));
    e.calibration.nll = ToNum(cal.at("nll"));
    e.calibration.brier = ToNum(cal.at("brier"));
    for (const json& jb : cal.at("bins")) {
      ReliabilityBin b;
      b.lower = ToNum(jb.at("lower"));
      b.upper = ToNum(jb.at("upper"));
      b.count = jb.at("count").get<int>();
      b.mean_confidence = ToNum(jb.at("mean_confidence"));
      b.accuracy = ToNum(jb.at("accuracy"));
      e.calibration.bins.push_back(b);
    }
    if (j.contains("temperature")) {
      TemperatureFit t;
      t.temperature = ToNum(j["temperature"].at("temperature"));
      t.nll_before = ToNum(j["temperature"].at("nll_before"));
      t.nll_after = ToNum(j["temperature"].at("nll_after"));
      e.temperature = t;
    }
    if (j.contains("slices")) {
      SliceReport r;
      for (const json& js : j["slices"].at("slices")) {
        SliceMetrics s;
        s.slice = js.at("slice").get<std::string>();
        s.count = js.at("count").get<int>();
        s.accuracy = ToNum(js.at("accuracy"));
        s.macro_f1 = ToNum(js.at("macro_f1"));
        s.support = js.at("support").get<std::vector<int>>();
        s.recall = ToNums(js.at("recall"));
        r.slices.push_back(std::move(s));
      }
      for (const json& jg : j["slices"].at("gaps")) r.gaps.push_back(GapFromJson(jg));
      if (!j["slices"].at("largest").is_null()) r.largest = GapFromJson(j["slices"]["largest"]);
      e.slices = std::move(r);
    }
    return e;
  } catch (const std::exception& ex) {
    return InvalidArgumentError(std::string("eval: bad evaluation JSON: ") + ex.what());
  }
}

}  // namespace vigil
