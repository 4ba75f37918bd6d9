// Policy files: parsing, normalisation and version, validation errors, and the category decision
// (signal → calibration → thresholds) on hand-made model outputs.
#include "vigil/policy.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vigil {
namespace {

const char* kPolicy = R"(
name: test
on_model_error: review
model_deadline_ms: 2000
categories:
  - name: sexual
    severity: 3
    signal: {model: nsfw_mobilenet_v2, labels: [Porn, Hentai], combine: sum}
    review_at: 0.5
    block_at: 0.9
    target: {recall: 0.95}
  - name: suggestive
    signal: {model: nsfw_mobilenet_v2, labels: Sexy}
    review_at: 0.7
  - name: weapons
    severity: 5
    signal: {model: nanodet_coco, classes: [knife, scissors], min_score: 0.3, min_area: 0.01}
    review_at: 0.4
    block_at: 0.8
)";

TEST(PolicyTest, ParsesCategoriesSignalsAndThresholds) {
  Result<Policy> p = ParsePolicy(kPolicy);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->name, "test");
  EXPECT_EQ(p->model_deadline_ms, 2000);
  ASSERT_EQ(p->categories.size(), 3u);
  const PolicyCategory& sexual = p->categories[0];
  EXPECT_EQ(sexual.signal.kind, PolicySignal::Kind::kLabels);
  EXPECT_EQ(sexual.signal.labels, (std::vector<std::string>{"Porn", "Hentai"}));
  EXPECT_EQ(sexual.severity, 3);
  ASSERT_TRUE(sexual.block_at.has_value());
  EXPECT_DOUBLE_EQ(*sexual.block_at, 0.9);
  ASSERT_TRUE(sexual.target.has_value());
  EXPECT_EQ(sexual.target->metric, PolicyTarget::Metric::kRecall);
  EXPECT_FALSE(p->categories[1].block_at.has_value());
  EXPECT_EQ(p->categories[1].signal.labels, (std::vector<std::string>{"Sexy"}));
  const PolicyCategory& weapons = p->categories[2];
  EXPECT_EQ(weapons.signal.kind, PolicySignal::Kind::kDetections);
  EXPECT_FLOAT_EQ(weapons.signal.min_score, 0.3f);
  EXPECT_EQ(PolicyModelRefs(*p), (std::vector<std::string>{"nsfw_mobilenet_v2", "nanodet_coco"}));
  EXPECT_EQ(p->version.rfind("sha256:", 0), 0u);
  EXPECT_EQ(p->version.size(), 7u + 64u);
}

TEST(PolicyTest, VersionIgnoresCommentsSpacingAndKeyOrderButNotThresholds) {
  Result<Policy> a = ParsePolicy(kPolicy);
  Result<Policy> b = ParsePolicy(std::string("# a comment\n") + R"(
model_deadline_ms: 2000
name: test
categories:
  - signal: {labels: [Porn, Hentai], model: nsfw_mobilenet_v2}
    name: sexual
    block_at: 0.90
    review_at: 0.5
    severity: 3
    target: {recall: 0.95}
  - {name: suggestive, signal: {model: nsfw_mobilenet_v2, labels: [Sexy]}, review_at: 0.7}
  - name: weapons
    severity: 5
    signal: {model: nanodet_coco, classes: [knife, scissors], min_score: 0.3, min_area: 0.01}
    review_at: 0.4
    block_at: 0.8
)");
  ASSERT_TRUE(a.ok() && b.ok()) << b.status().ToString();
  EXPECT_EQ(a->version, b->version);
  std::string changed = kPolicy;
  changed.replace(changed.find("block_at: 0.9"), 13, "block_at: 0.8");
  Result<Policy> c = ParsePolicy(changed);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->version, c->version);
  // The normalised text parses back to the same version.
  Result<Policy> round = ParsePolicy(NormalizedPolicyYaml(*a));
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(round->version, a->version);
}

void ExpectError(const std::string& yaml, const std::string& fragment) {
  Result<Policy> p = ParsePolicy(yaml, "bad.yaml");
  ASSERT_FALSE(p.ok()) << "accepted: " << yaml;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(fragment), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("bad.yaml"), std::string::npos) << p.status().message();
}

TEST(PolicyTest, BadPoliciesAreClearErrors) {
  const std::string head = "name: p\ncategories:\n  - name: c\n    signal: {model: m, labels: [A]}\n";
  ExpectError(head + "    review_at: 0.9\n    block_at: 0.5\n", "out of order");
  ExpectError(head + "    review_at: 1.5\n", "must be in [0, 1]");
  ExpectError(head + "    review_at: 0.5\n    reviewat: 0.2\n", "unknown key 'reviewat'");
  ExpectError("name: p\nthreshold: 1\ncategories: []\n", "unknown key 'threshold'");
  ExpectError(head, "missing 'review_at'");
  ExpectError("name: p\non_model_error: allow\n" + head.substr(8) + "    review_at: 0.5\n", "never allows");
  ExpectError(head + "    review_at: 0.5\n  - name: c\n    signal: {model: m, labels: [A]}\n    review_at: 0.5\n",
              "defined twice");
  ExpectError("name: p\ncategories:\n  - name: c\n    signal: {model: m, labels: [A], classes: [b]}\n    review_at: 0.5\n",
              "exactly one of");
  ExpectError("name: p\ncategories:\n  - name: C!\n    signal: {model: m, labels: [A]}\n    review_at: 0.5\n", "a-z");
  ExpectError("name: p\ncategories:\n  - name: c\n    signal: {model: 'm:x', labels: [A]}\n    review_at: 0.5\n",
              "NAME:VERSION");
  ExpectError("name: p\ncategories: [\n", "not valid YAML");
  ExpectError("name: p\ncategories:\n  - name: c\n    signal: {model: m, labels: [A]}\n    review_at: abc\n",
              "must be a number");
  ExpectError(head + "    review_at: 0.5\n    cascade: {model: m2, band: [0.8, 0.2]}\n", "low must be below high");
  ExpectError(head + "    review_at: 0.5\n    calibration: {a: -1, b: 0}\n", "keep the score's order");
}

ModelOutput Classification(std::vector<LabelScore> labels) {
  ModelOutput o;
  o.model = "nsfw_mobilenet_v2";
  o.version = 1;
  o.task = "classification";
  o.labels = std::move(labels);
  return o;
}

TEST(PolicyTest, LabelSignalsSumOrMaxAndDecide) {
  Result<Policy> p = ParsePolicy(kPolicy);
  ASSERT_TRUE(p.ok());
  ModelOutput out = Classification({{"Neutral", 0.3f}, {"Porn", 0.4f}, {"Hentai", 0.25f}, {"Sexy", 0.05f}});
  std::vector<CategoryEvidence> ev;
  const double s = SignalScore(p->categories[0].signal, out, 0, 0, &ev);
  EXPECT_NEAR(s, 0.65, 1e-6);
  EXPECT_EQ(ev.size(), 2u);
  CategoryResult r = DecideCategory(p->categories[0], s);
  EXPECT_EQ(r.outcome, Outcome::kReview);
  EXPECT_EQ(r.action, "queue_for_review");
  EXPECT_NE(r.reason.find("review_at"), std::string::npos);
  EXPECT_EQ(DecideCategory(p->categories[0], 0.95).outcome, Outcome::kBlock);
  EXPECT_EQ(DecideCategory(p->categories[0], 0.9).outcome, Outcome::kBlock);  // >= block_at
  EXPECT_EQ(DecideCategory(p->categories[0], 0.49).outcome, Outcome::kAllow);
  // No block_at: never blocks.
  EXPECT_EQ(DecideCategory(p->categories[1], 1.0).outcome, Outcome::kReview);

  PolicySignal max = p->categories[0].signal;
  max.combine = PolicySignal::Combine::kMax;
  EXPECT_NEAR(SignalScore(max, out, 0, 0), 0.4, 1e-6);
}

TEST(PolicyTest, DetectionSignalsHonourMinScoreAndArea) {
  Result<Policy> p = ParsePolicy(kPolicy);
  ASSERT_TRUE(p.ok());
  ModelOutput out;
  out.model = "nanodet_coco";
  out.task = "detection";
  out.image_width = 1000;
  out.image_height = 1000;
  out.detections = {
      {0, "knife", 0.95f, {0, 0, 50, 50}},        // 0.25% of the image: below min_area 1%
      {1, "scissors", 0.6f, {100, 100, 300, 300}},  // 4%: counts
      {2, "knife", 0.2f, {0, 0, 900, 900}},       // below min_score
      {3, "cat", 0.99f, {0, 0, 1000, 1000}},      // not a listed class
  };
  std::vector<CategoryEvidence> ev;
  const double s = SignalScore(p->categories[2].signal, out, 1000, 1000, &ev);
  EXPECT_FLOAT_EQ(float(s), 0.6f);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].label, "scissors");
  ASSERT_TRUE(ev[0].box.has_value());
  EXPECT_FLOAT_EQ(ev[0].box->x_max, 300);
  EXPECT_EQ(DecideCategory(p->categories[2], s).outcome, Outcome::kReview);
}

TEST(PolicyTest, CalibrationMapsTheRawScoreBeforeThresholds) {
  Result<Policy> p = ParsePolicy(
      "name: p\ncategories:\n  - name: c\n    signal: {model: m, labels: [A]}\n    review_at: 0.5\n"
      "    block_at: 0.9\n    calibration: {method: platt, a: 10, b: -5}\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  CategoryResult r = DecideCategory(p->categories[0], 0.5);
  EXPECT_NEAR(r.score, 0.5, 1e-12);
  EXPECT_EQ(r.outcome, Outcome::kReview);
  r = DecideCategory(p->categories[0], 0.8);
  EXPECT_NEAR(r.score, 1 / (1 + std::exp(-3.0)), 1e-12);
  EXPECT_EQ(r.outcome, Outcome::kBlock);
  EXPECT_DOUBLE_EQ(r.raw_score, 0.8);
}

TEST(PolicyTest, AFailedModelNeverAllows) {
  Result<Policy> p = ParsePolicy(kPolicy);
  ASSERT_TRUE(p.ok());
  CategoryResult r = FailedCategory(*p, p->categories[0], "nsfw_mobilenet_v2", 1, DeadlineExceededError("late"));
  EXPECT_EQ(r.outcome, Outcome::kReview);
  EXPECT_TRUE(r.model_error);
  EXPECT_TRUE(std::isnan(r.score));
  EXPECT_NE(r.reason.find("deadline"), std::string::npos) << r.reason;
  p->on_model_error = Outcome::kBlock;
  EXPECT_EQ(FailedCategory(*p, p->categories[0], "m", 1, InternalError("x")).outcome, Outcome::kBlock);
}

}  // namespace
}  // namespace vigil
