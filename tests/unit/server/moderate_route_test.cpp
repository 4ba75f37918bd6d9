// The moderation routes in-process on the real service (no socket): a POST /v1/moderate decision
// equals the library's Moderator on the same bytes (same ids, scores and models) and is recorded
// (GET /v1/decisions/{id}); bodies and errors mirror /v1/images:classify; a bad policy reload is
// a 400 that keeps the old policy; metric labels come from the policy only; without a policy the
// routes answer 503.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "moderation_state.h"
#include "serve_app.h"
#include "server_test_util.h"

namespace vigil::server {
namespace {

using nlohmann::json;
using testing::ErrorCode;
using testing::MakeRequest;

// One model, two stand-in categories (the nsfw model's labels, as the default policy uses them).
constexpr const char* kPolicy = R"(name: unit
categories:
  - name: sexual
    severity: 8
    signal: {model: nsfw_mobilenet_v2, labels: [Porn, Hentai], combine: sum}
    review_at: 0.5
    block_at: 0.9
  - name: drawing
    severity: 2
    signal: {model: nsfw_mobilenet_v2, labels: [Drawing]}
    review_at: 0.3
)";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The decision without the fields that differ between two runs of the same item.
json Stable(json d) {
  d.erase("latency_ms");
  d.erase("created_ms");
  return d;
}

class ModerateRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil-moderate-route-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    policy_path_ = (dir_ / "policy.yaml").string();
    WriteFile(policy_path_, kPolicy);
    config_.jobs.database = (dir_ / "vigil.db").string();
    config_.api_keys = {{"reader-key-123", Role::kRead}, {"admin-key-4567", Role::kAdmin}};
    config_.service.common.repository = testing::ModelsDir();
    config_.service.models = {"nsfw_mobilenet_v2"};
    config_.service.workers = 1;
    auto service = ClassificationService::Create(config_.service);
    ASSERT_TRUE(service.ok()) << service.status().ToString() << " (VIGIL_MODELS: run scripts/setup)";
    service_ = std::move(*service);
    auto state = ModerationState::Create(config_, policy_path_, service_.get(), &service_->metrics());
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(*state);
    metrics_ = std::make_unique<RequestMetrics>(service_->metrics());
    router_ = std::make_unique<Router>(config_.api_keys, metrics_.get(), config_.max_body_bytes);
    ASSERT_TRUE(RegisterAllRoutes(*router_, config_, service_.get(), {}, nullptr, {state_.get(), "", {}}).ok());
    photo_ = testing::ReadFile(testing::Photo("fruits.jpg"));
    ASSERT_FALSE(photo_.empty()) << "missing fruits.jpg: run scripts/fetch-test-data";
  }

  void TearDown() override {
    router_.reset();
    state_.reset();
    if (service_) service_->Shutdown();
    std::filesystem::remove_all(dir_);
  }

  httplib::Response Send(httplib::Request req, const std::string& key = "reader-key-123") {
    req.headers.emplace("X-API-Key", key);
    httplib::Response res;
    router_->Dispatch(req, res);
    return res;
  }
  httplib::Response Moderate(const std::string& body, std::vector<std::pair<std::string, std::string>> params = {},
                             const std::string& type = "image/jpeg") {
    return Send(MakeRequest("POST", "/v1/moderate", std::move(params), {{"Content-Type", type}}, body));
  }

  std::filesystem::path dir_;
  std::string policy_path_;
  ServerConfig config_;
  std::unique_ptr<ClassificationService> service_;
  std::unique_ptr<ModerationState> state_;
  std::unique_ptr<RequestMetrics> metrics_;
  std::unique_ptr<Router> router_;
  std::string photo_;
};

TEST_F(ModerateRouteTest, DecisionEqualsTheLibrarysAndIsRecorded) {
  httplib::Response res = Moderate(photo_);
  ASSERT_EQ(res.status, 200) << res.body;
  const json body = json::parse(res.body);
  ASSERT_EQ(body["results"].size(), 1u);
  const json got = body["results"][0];

  // The library alone (its own copy of the model, as `vigil moderate` loads it) on the same bytes.
  ModeratorOptions options;
  options.policy = *LoadPolicyFile(policy_path_);
  options.common.repository = testing::ModelsDir();
  options.workers = 1;
  auto moderator = Moderator::Create(options);
  ASSERT_TRUE(moderator.ok()) << moderator.status().ToString();
  auto alone = (*moderator)->ModerateBytes(reinterpret_cast<const uint8_t*>(photo_.data()), photo_.size());
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  EXPECT_EQ(Stable(got), Stable(json::parse(DecisionToJson(*alone))));
  EXPECT_EQ(got["decision_id"], alone->id);
  EXPECT_EQ(got["policy_version"], options.policy.version);
  ASSERT_EQ(got["categories"].size(), 2u);
  EXPECT_EQ(got["categories"][0]["name"], "sexual");

  // Recorded: GET returns the stored decision; the same bytes again give the same (first) one.
  httplib::Response stored = Send(MakeRequest("GET", "/v1/decisions/" + got["decision_id"].get<std::string>()));
  ASSERT_EQ(stored.status, 200) << stored.body;
  EXPECT_EQ(json::parse(stored.body), got);
  httplib::Response again = Moderate(photo_);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body)["results"][0], got);

  httplib::Response list = Send(MakeRequest("GET", "/v1/decisions", {{"limit", "5"}}), "admin-key-4567");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(json::parse(list.body)["decisions"].size(), 1u);
  EXPECT_EQ(Send(MakeRequest("GET", "/v1/decisions")).status, 403);  // listing is admin only

  // Metrics: labels from the policy and fixed sets only.
  const std::string metrics = service_->metrics().Render();
  const std::string outcome = got["outcome"];
  EXPECT_NE(metrics.find("vigil_moderation_decisions_total{media=\"image\",outcome=\"" + outcome + "\""),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("vigil_moderation_seconds_count{media=\"image\"} 2"), std::string::npos);
}

TEST_F(ModerateRouteTest, MultipartGivesOneDecisionPerImageWithItsFileName) {
  httplib::Request req = MakeRequest("POST", "/v1/moderate", {}, {{"Content-Type", "multipart/form-data; boundary=x"}});
  req.files.emplace("a", httplib::MultipartFormData{"a", photo_, "fruits.jpg", "image/jpeg"});
  req.files.emplace("b", httplib::MultipartFormData{"b", "not an image", "broken.jpg", "image/jpeg"});
  httplib::Response res = Send(req);
  ASSERT_EQ(res.status, 200) << res.body;
  const json results = json::parse(res.body)["results"];
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["filename"], "fruits.jpg");
  EXPECT_TRUE(results[0].contains("decision_id"));
  EXPECT_EQ(results[1]["filename"], "broken.jpg");
  EXPECT_TRUE(results[1].contains("error")) << results[1];
}

TEST_F(ModerateRouteTest, BadRequestsAreClearErrors) {
  httplib::Response res = Moderate(photo_, {{"score_treshold", "0.5"}});
  EXPECT_EQ(res.status, 400);
  EXPECT_NE(testing::ErrorMessage(res).find("score_treshold"), std::string::npos) << res.body;
  EXPECT_EQ(Moderate(photo_, {{"type", "audio"}}).status, 400);
  EXPECT_EQ(Moderate("", {}).status, 400);
  res = Moderate("hello", {}, "text/plain");
  EXPECT_EQ(res.status, 415);
  EXPECT_EQ(ErrorCode(res), "unsupported_media_type");
  EXPECT_EQ(Moderate("not an image").status / 100, 4);  // decoding error of a single image
  res = Send(MakeRequest("GET", "/v1/decisions/dec_00000000000000000000000000000000"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(ErrorCode(res), "not_found");
  EXPECT_EQ(Send(MakeRequest("GET", "/v1/decisions", {{"outcome", "maybe"}}), "admin-key-4567").status, 400);
  EXPECT_EQ(Send(MakeRequest("GET", "/v1/decisions", {{"limit", "0"}}), "admin-key-4567").status, 400);
  // Too many images for one request: 413 as classify.
  httplib::Request many = MakeRequest("POST", "/v1/moderate", {}, {{"Content-Type", "multipart/form-data; boundary=x"}});
  for (int i = 0; i <= config_.max_images_per_request; ++i) {
    many.files.emplace("f" + std::to_string(i), httplib::MultipartFormData{"f", photo_, "p.jpg", "image/jpeg"});
  }
  EXPECT_EQ(Send(many).status, 413);
  // A video without jobs: 503, not a decision.
  EXPECT_EQ(Moderate("....", {}, "video/mp4").status, 503);
}

TEST_F(ModerateRouteTest, ReloadSwapsAGoodPolicyAndKeepsTheOldOneOnABadFile) {
  httplib::Response before = Send(MakeRequest("GET", "/v1/policies"));
  ASSERT_EQ(before.status, 200) << before.body;
  const json old_policy = json::parse(before.body);
  EXPECT_EQ(old_policy["name"], "unit");
  EXPECT_EQ(old_policy["categories"].size(), 2u);
  EXPECT_NE(old_policy["yaml"].get<std::string>().find("name: unit"), std::string::npos);

  EXPECT_EQ(Send(MakeRequest("POST", "/v1/policies:reload")).status, 403);  // read role

  // Bad files: an unknown label, an unknown model, thresholds out of order, not YAML.
  for (const std::string& bad :
       {std::string(kPolicy) + "  - name: x\n    signal: {model: nsfw_mobilenet_v2, labels: [Nope]}\n",
        std::string(kPolicy) + "  - name: x\n    signal: {model: no_such_model, labels: [Porn]}\n",
        std::string(kPolicy) + "  - name: x\n    signal: {model: nsfw_mobilenet_v2, labels: [Sexy]}\n"
                               "    review_at: 0.9\n    block_at: 0.5\n",
        std::string("name: [unclosed\n")}) {
    WriteFile(policy_path_, bad);
    httplib::Response res = Send(MakeRequest("POST", "/v1/policies:reload"), "admin-key-4567");
    EXPECT_EQ(res.status, 400) << bad;
    EXPECT_NE(testing::ErrorMessage(res).find("still serving " + old_policy["version"].get<std::string>()),
              std::string::npos)
        << res.body;
    EXPECT_EQ(json::parse(Send(MakeRequest("GET", "/v1/policies")).body)["version"], old_policy["version"]);
    EXPECT_EQ(Moderate(photo_).status, 200);
  }

  WriteFile(policy_path_, std::string(kPolicy) + "  - name: suggestive\n    signal: {model: nsfw_mobilenet_v2, "
                                                 "labels: [Sexy]}\n    review_at: 0.8\n");
  httplib::Response res = Send(MakeRequest("POST", "/v1/policies:reload"), "admin-key-4567");
  ASSERT_EQ(res.status, 200) << res.body;
  const json now = json::parse(res.body);
  EXPECT_TRUE(now["changed"].get<bool>());
  EXPECT_EQ(now["previous_version"], old_policy["version"]);
  EXPECT_EQ(now["categories"].size(), 3u);
  const json decision = json::parse(Moderate(photo_).body)["results"][0];
  EXPECT_EQ(decision["policy_version"], now["version"]);
  EXPECT_EQ(decision["categories"].size(), 3u);
}

TEST(ModerateRoutesOff, AnswerServiceUnavailableWithTheReason) {
  ServerConfig config;
  Router router(config.api_keys, nullptr, config.max_body_bytes);
  ASSERT_TRUE(RegisterAllRoutes(router, config, nullptr, {}, nullptr, {nullptr, "no policy file", {}}).ok());
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/moderate"}, {"GET", "/v1/decisions/dec_1"}, {"GET", "/v1/policies"},
           {"POST", "/v1/policies:reload"}, {"GET", "/v1/decisions"}}) {
    httplib::Response res;
    router.Dispatch(MakeRequest(method, path, {}, {{"Content-Type", "image/jpeg"}}, "x"), res);
    EXPECT_EQ(res.status, 503) << method << " " << path;
    EXPECT_NE(testing::ErrorMessage(res).find("no policy file"), std::string::npos) << res.body;
  }
}

}  // namespace
}  // namespace vigil::server
