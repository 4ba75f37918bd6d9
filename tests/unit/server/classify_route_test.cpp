// POST /v1/images:classify in-process on the real service (no socket): malformed parameters are
// 400 before any image is decoded, and metric labels come only from loaded models, so thousands of
// random model names (or a NUL) never grow /metrics (issue 19 defect 3).
#include <gtest/gtest.h>

#include <random>

#include "serve_app.h"
#include "server_test_util.h"

namespace vigil::server {
namespace {

using testing::ErrorCode;
using testing::MakeRequest;

class ClassifyRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceOptions options;
    options.common.repository = testing::ModelsDir();
    options.models = {"nsfw_mobilenet_v2"};
    options.workers = 1;
    auto service = ClassificationService::Create(options);
    ASSERT_TRUE(service.ok()) << service.status().ToString() << " (VIGIL_MODELS: run scripts/setup)";
    service_ = std::move(*service);
    metrics_ = std::make_unique<RequestMetrics>(service_->metrics());
    router_ = std::make_unique<Router>(config_.api_keys, metrics_.get(), config_.max_body_bytes);
    ASSERT_TRUE(RegisterAllRoutes(*router_, config_, service_.get(), {}).ok());
    photo_ = testing::ReadFile(testing::Photo("fruits.jpg"));
    ASSERT_FALSE(photo_.empty()) << "missing fruits.jpg: run scripts/fetch-test-data";
  }

  httplib::Response Classify(std::vector<std::pair<std::string, std::string>> params, const std::string& body) {
    httplib::Response res;
    router_->Dispatch(MakeRequest("POST", "/v1/images:classify", std::move(params), {{"Content-Type", "image/jpeg"}}, body),
                      res);
    return res;
  }

  std::string Metrics() {
    httplib::Response res;
    router_->Dispatch(MakeRequest("GET", "/metrics"), res);
    EXPECT_EQ(res.status, 200);
    return res.body;
  }

  ServerConfig config_;
  std::unique_ptr<ClassificationService> service_;
  std::unique_ptr<RequestMetrics> metrics_;
  std::unique_ptr<Router> router_;
  std::string photo_;
};

TEST_F(ClassifyRouteTest, ClassifiesAndLabelsWithTheLoadedModel) {
  httplib::Response res = Classify({{"top_k", "2"}}, photo_);
  ASSERT_EQ(res.status, 200) << res.body;
  const nlohmann::json j = nlohmann::json::parse(res.body);
  EXPECT_EQ(j["results"][0]["model"], "nsfw_mobilenet_v2");
  EXPECT_EQ(j["results"][0]["predictions"].size(), 2u);
  EXPECT_NE(Metrics().find("vigil_http_requests_total{route=\"/v1/images:classify\",model=\"nsfw_mobilenet_v2\","
                           "version=\"1\",status=\"200\"} 1"),
            std::string::npos);
}

TEST_F(ClassifyRouteTest, MalformedParametersAre400) {
  const std::vector<std::vector<std::pair<std::string, std::string>>> bad = {
      {{"embedding", "maybe"}},
      {{"embedding", ""}},
      {{"model", ""}},
      {{"model", std::string("\0", 1)}},
      {{"model", std::string("nsfw_mobilenet_v2\0", 18)}},
      {{"model", "nsfw mobilenet"}},
      {{"model", "../../etc/passwd"}},
      {{"top_k", "-1"}},
      {{"version", "x"}},
      {{"score_treshold", "0.5"}},
      {{"top_k", "1"}, {"top_k", "2"}},
  };
  for (const auto& params : bad) {
    httplib::Response res = Classify(params, photo_);
    EXPECT_EQ(res.status, 400) << params[0].first << "=" << params[0].second << ": " << res.body;
    EXPECT_EQ(ErrorCode(res), "invalid_argument");
  }
  // No label was made from any of them.
  const std::string text = Metrics();
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_NE(text.find("model=\"\",version=\"\",status=\"400\"} " + std::to_string(bad.size())), std::string::npos)
      << text;
  // embedding=true and =false stay valid.
  EXPECT_EQ(Classify({{"embedding", "false"}}, photo_).status, 200);
}

TEST_F(ClassifyRouteTest, RandomModelNamesDoNotGrowMetrics) {
  std::mt19937 rng(19);
  auto random_name = [&](bool printable) {
    std::string name(1 + rng() % 24, 'a');
    for (char& c : name) c = printable ? "abcdefghijklmnopqrstuvwxyz0123456789_-."[rng() % 39] : char(rng() % 256);
    return name;
  };
  // Warm up every series these requests can make (404 unknown model, 400 malformed name).
  EXPECT_EQ(Classify({{"model", "no_such_model"}}, photo_).status, 404);
  EXPECT_EQ(Classify({{"model", std::string("\0", 1)}}, photo_).status, 400);
  const size_t before = Metrics().size();
  int not_found = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    const bool printable = i % 2 == 0;
    std::string name = random_name(printable);
    if (name == "nsfw_mobilenet_v2") continue;
    const int status = Classify({{"model", name}}, photo_).status;
    ASSERT_TRUE(status == 404 || status == 400) << status;
    (status == 404 ? not_found : refused)++;
  }
  EXPECT_GT(not_found, 1000);
  EXPECT_GT(refused, 1000);
  const std::string after = Metrics();
  // The same series, only their counts and sums changed (a few digits each).
  EXPECT_LT(after.size(), before + 512) << "metrics grew from " << before << " to " << after.size() << " bytes";
  EXPECT_EQ(after.find("no_such_model"), std::string::npos);
  EXPECT_EQ(after.find('\0'), std::string::npos);
}

}  // namespace
}  // namespace vigil::server
