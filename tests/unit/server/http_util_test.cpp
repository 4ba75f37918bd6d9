// HTTP helpers: Status -> HTTP code, JSON error bodies with Retry-After, API-key parsing, and the
// request metrics' guard against unsafe label values.
#include <gtest/gtest.h>

#include "http_util.h"
#include "server_test_util.h"

namespace vigil::server {
namespace {

TEST(HttpUtil, MapsEveryStatusCode) {
  const std::vector<std::pair<StatusCode, int>> cases = {
      {StatusCode::kOk, 200},           {StatusCode::kInvalidArgument, 400},    {StatusCode::kNotFound, 404},
      {StatusCode::kUnsupported, 415},  {StatusCode::kDataLoss, 422},           {StatusCode::kResourceExhausted, 413},
      {StatusCode::kFailedPrecondition, 409}, {StatusCode::kDeadlineExceeded, 504}, {StatusCode::kUnavailable, 503},
      {StatusCode::kInternal, 500}};
  for (const auto& [code, http] : cases) EXPECT_EQ(HttpStatusFor(code), http) << StatusCodeName(code);
}

TEST(HttpUtil, ErrorsAreJsonWithRetryAfterOnlyWhenOverloaded) {
  httplib::Response res;
  SendStatus(res, UnavailableError("queue full"), 3);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(res.get_header_value("Retry-After"), "3");
  EXPECT_EQ(testing::ErrorCode(res), "unavailable");
  EXPECT_EQ(testing::ErrorMessage(res), "queue full");
  EXPECT_EQ(res.get_header_value("Content-Type"), "application/json");
  res = {};
  SendStatus(res, DataLossError("truncated"), 3);
  EXPECT_EQ(res.status, 422);
  EXPECT_FALSE(res.has_header("Retry-After"));
  // Invalid UTF-8 in a message still makes valid JSON.
  res = {};
  SendError(res, 400, "invalid_argument", "bad \xff byte");
  EXPECT_EQ(testing::ErrorCode(res), "invalid_argument");
}

TEST(HttpUtil, ApiKeyFromEitherHeaderWithAnyBearerCase) {
  using testing::MakeRequest;
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"X-API-Key", "k1"}})), "k1");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"Authorization", "Bearer k2"}})), "k2");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"Authorization", "bearer k3"}})), "k3");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"Authorization", "bEaReR   k4"}})), "k4");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"Authorization", "Basic k5"}})), "");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"Authorization", "Bearer"}})), "");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/", {}, {{"Authorization", "Bearer "}})), "");
  EXPECT_EQ(RequestApiKey(MakeRequest("GET", "/")), "");
}

TEST(HttpUtil, UnsafeLabelValuesAreRecordedAsInvalid) {
  MetricsRegistry registry;
  RequestMetrics metrics(registry);
  metrics.Record("/v1/images:classify", std::string("a\0b", 3), "", 404, 0.01);
  metrics.Record("/v1/images:classify", "line\nbreak", "", 404, 0.01);
  metrics.Record("/v1/images:classify", std::string(200, 'x'), "", 404, 0.01);
  metrics.Record("/v1/images:classify", "nsfw_mobilenet_v2", "1", 200, 0.01);
  const std::string text = registry.Render();
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_NE(text.find("vigil_http_requests_total{route=\"/v1/images:classify\",model=\"invalid\",version=\"\",status=\"404\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("model=\"nsfw_mobilenet_v2\",version=\"1\",status=\"200\"} 1"), std::string::npos);
  EXPECT_TRUE(HasControlCharacter(std::string("\0", 1)));
  EXPECT_TRUE(HasControlCharacter("\x7f"));
  EXPECT_FALSE(HasControlCharacter("caf\xc3\xa9 ok"));
}

}  // namespace
}  // namespace vigil::server
