// Router: pattern matching and dispatch without sockets, 404/405, path parameters, body limits,
// access per route (401/403, bearer scheme in any case), and the full route table of `vigil serve`
// where every mutating route must need a key role.
#include <gtest/gtest.h>

#include <set>

#include "router.h"
#include "serve_app.h"
#include "server_test_util.h"

namespace vigil::server {
namespace {

using testing::ErrorCode;
using testing::MakeRequest;

RouteHandler Echo(const std::string& text) {
  return [text](const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
    std::string params;
    for (const std::string& p : ctx.params) params += "/" + p;
    res.status = 200;
    res.body = text + params;
  };
}

TEST(Router, PatternRegexEscapesLiteralsAndCapturesSegments) {
  EXPECT_EQ(*PatternRegex("/v1/jobs/{id}"), "/v1/jobs/([^/]+)");
  EXPECT_EQ(*PatternRegex("/v1/images:classify"), "/v1/images:classify");
  EXPECT_EQ(*PatternRegex("/openapi.json"), "/openapi\\.json");
  for (const char* bad : {"", "v1/x", "/a/{}", "/a/{id", "/a/id}", "/a/{x/y}", "/a/{x{y}}"}) {
    EXPECT_FALSE(PatternRegex(bad).ok()) << bad;
  }
}

TEST(Router, DispatchesByMethodAndPathWithParameters) {
  Router router({}, nullptr, 1 << 20);
  ASSERT_TRUE(router.Add({Method::kGet, "/v1/jobs/{id}", Access::kRead, Echo("get")}).ok());
  ASSERT_TRUE(router.Add({Method::kDelete, "/v1/jobs/{id}", Access::kRead, Echo("delete")}).ok());
  ASSERT_TRUE(router.Add({Method::kGet, "/v1/jobs", Access::kAdmin, Echo("list")}).ok());
  ASSERT_TRUE(router.Add({Method::kGet, "/openapi.json", Access::kPublic, Echo("doc")}).ok());

  httplib::Response res;
  router.Dispatch(MakeRequest("GET", "/v1/jobs/abc"), res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "get/abc");
  res = {};
  router.Dispatch(MakeRequest("DELETE", "/v1/jobs/42"), res);
  EXPECT_EQ(res.body, "delete/42");
  res = {};
  router.Dispatch(MakeRequest("GET", "/v1/jobs"), res);
  EXPECT_EQ(res.body, "list");
  // A segment never spans '/', '.' in a pattern is a literal dot.
  res = {};
  router.Dispatch(MakeRequest("GET", "/v1/jobs/a/b"), res);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(ErrorCode(res), "not_found");
  res = {};
  router.Dispatch(MakeRequest("GET", "/openapiXjson"), res);
  EXPECT_EQ(res.status, 404);
  // A known path with another method.
  res = {};
  router.Dispatch(MakeRequest("POST", "/v1/jobs/abc"), res);
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(ErrorCode(res), "method_not_allowed");
  res = {};
  router.Dispatch(MakeRequest("PUT", "/v1/jobs"), res);
  EXPECT_EQ(res.status, 405);
}

TEST(Router, RefusesPublicMutatingRoutesAndDuplicates) {
  Router router({}, nullptr, 1 << 20);
  Status s = router.Add({Method::kPost, "/v1/things", Access::kPublic, Echo("x")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("POST /v1/things"), std::string::npos) << s.message();
  EXPECT_FALSE(router.Add({Method::kDelete, "/v1/things/{id}", Access::kPublic, Echo("x")}).ok());
  ASSERT_TRUE(router.Add({Method::kPost, "/v1/things", Access::kRead, Echo("x")}).ok());
  EXPECT_FALSE(router.Add({Method::kPost, "/v1/things", Access::kAdmin, Echo("y")}).ok());
  EXPECT_FALSE(router.Add({Method::kGet, "/v1/nothing", Access::kRead, nullptr}).ok());
  EXPECT_EQ(router.routes().size(), 1u);
}

TEST(Router, ChecksTheRouteRoleBeforeTheHandler) {
  Router router({{"reader-key-123", Role::kRead}, {"admin-key-4567", Role::kAdmin}}, nullptr, 1 << 20);
  int calls = 0;
  auto counted = [&calls](const httplib::Request&, httplib::Response& res, RouteContext&) {
    ++calls;
    res.status = 200;
  };
  ASSERT_TRUE(router.Add({Method::kGet, "/open", Access::kPublic, counted}).ok());
  ASSERT_TRUE(router.Add({Method::kGet, "/read", Access::kRead, counted}).ok());
  ASSERT_TRUE(router.Add({Method::kPost, "/admin", Access::kAdmin, counted}).ok());
  struct Case {
    const char* method;
    const char* path;
    std::vector<std::pair<std::string, std::string>> headers;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET", "/open", {}, 200},
      {"GET", "/read", {}, 401},
      {"GET", "/read", {{"X-API-Key", "wrong-key-000"}}, 401},
      {"GET", "/read", {{"X-API-Key", "reader-key-123"}}, 200},
      {"GET", "/read", {{"Authorization", "Bearer reader-key-123"}}, 200},
      // RFC 7235: the scheme is case-insensitive.
      {"GET", "/read", {{"Authorization", "bearer reader-key-123"}}, 200},
      {"GET", "/read", {{"Authorization", "BEARER reader-key-123"}}, 200},
      {"GET", "/read", {{"Authorization", "Basic reader-key-123"}}, 401},
      {"GET", "/read", {{"Authorization", "Bearerreader-key-123"}}, 401},
      {"GET", "/read", {{"Authorization", "Bearer reader-key-12"}}, 401},
      {"GET", "/read", {{"Authorization", "Bearer reader-key-1234"}}, 401},
      {"POST", "/admin", {{"X-API-Key", "reader-key-123"}}, 403},
      {"POST", "/admin", {{"Authorization", "bearer admin-key-4567"}}, 200},
  };
  int allowed = 0;
  for (const Case& c : cases) {
    httplib::Response res;
    router.Dispatch(MakeRequest(c.method, c.path, {}, c.headers), res);
    EXPECT_EQ(res.status, c.status) << c.method << " " << c.path
                                    << (c.headers.empty() ? "" : " " + c.headers[0].second);
    if (c.status != 200) {
      EXPECT_EQ(ErrorCode(res), c.status == 401 ? "unauthenticated" : "permission_denied");
    } else {
      ++allowed;
    }
  }
  EXPECT_EQ(calls, allowed);  // refused requests never reach the handler
}

TEST(Router, BufferedBodiesOverTheRouteLimitAre413) {
  Router router({}, nullptr, 1024);
  Route small{Method::kPost, "/small", Access::kRead, Echo("ok")};
  small.max_body_bytes = 10;
  ASSERT_TRUE(router.Add(small).ok());
  ASSERT_TRUE(router.Add({Method::kPost, "/default", Access::kRead, Echo("ok")}).ok());
  EXPECT_EQ(router.BodyLimit(Method::kPost, "/small"), 10u);
  EXPECT_EQ(router.BodyLimit(Method::kPost, "/default"), 1024u);
  EXPECT_EQ(router.BodyLimit(Method::kPost, "/unknown"), 1024u);
  httplib::Response res;
  router.Dispatch(MakeRequest("POST", "/small", {}, {}, std::string(11, 'x')), res);
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(ErrorCode(res), "resource_exhausted");
  res = {};
  router.Dispatch(MakeRequest("POST", "/small", {}, {}, std::string(10, 'x')), res);
  EXPECT_EQ(res.status, 200);
}

TEST(Router, StreamedRoutesReadTheBodyThroughTheReader) {
  Router router({}, nullptr, 1024);
  Route upload{Method::kPost, "/upload", Access::kRead,
               [](const httplib::Request&, httplib::Response& res, RouteContext& ctx) {
                 ASSERT_NE(ctx.reader, nullptr);
                 std::string got;
                 ctx.body_read = true;
                 (*ctx.reader)([&](const char* data, size_t n) {
                   got.append(data, n);
                   return true;
                 });
                 res.status = 200;
                 res.body = got;
               }};
  upload.body = BodyMode::kStreamed;
  upload.max_body_bytes = 1 << 20;
  ASSERT_TRUE(router.Add(upload).ok());
  httplib::Response res;
  router.Dispatch(MakeRequest("POST", "/upload", {}, {}, std::string(5000, 'v')), res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, std::string(5000, 'v'));  // streamed routes are not held to the buffered limit
}

// The table `vigil serve` registers (RegisterAllRoutes does not touch the services it is given).
std::unique_ptr<Router> ServeRoutes(const ServerConfig& config) {
  auto router = std::make_unique<Router>(config.api_keys, nullptr, config.max_body_bytes);
  Status s = RegisterAllRoutes(*router, config, nullptr, {});
  EXPECT_TRUE(s.ok()) << s.ToString();
  return router;
}

TEST(ServeRoutes, EveryMutatingRouteNeedsAKeyRole) {
  ServerConfig config;
  auto router = ServeRoutes(config);
  std::set<std::string> mutating;
  for (const Route& r : router->routes()) {
    if (r.method == Method::kGet) continue;
    EXPECT_NE(r.access, Access::kPublic) << MethodName(r.method) << " " << r.pattern << " has no role";
    mutating.insert(std::string(MethodName(r.method)) + " " + r.pattern + " " + AccessName(r.access));
  }
  // The list to update (with a role) when a route is added.
  const std::set<std::string> expected = {
      "POST /v1/images:classify read",
      "POST /v1/models:reload admin",
      "POST /v1/videos:tag read",
      "DELETE /v1/jobs/{id} read",
      "POST /v1/images:hash read",
      "POST /v1/images:match read",
      "POST /v1/banks admin",
      "DELETE /v1/banks/{bank} admin",
      "POST /v1/banks/{bank}/entries admin",
      "DELETE /v1/banks/{bank}/entries/{id} admin",
      "POST /v1/moderate read",
      "POST /v1/policies:reload admin",
  };
  EXPECT_EQ(mutating, expected);
}

TEST(ServeRoutes, ReadRoutesAndTheirAccess) {
  ServerConfig config;
  auto router = ServeRoutes(config);
  std::set<std::string> reads;
  for (const Route& r : router->routes()) {
    if (r.method == Method::kGet) reads.insert(r.pattern + " " + AccessName(r.access));
  }
  const std::set<std::string> expected = {"/v1/models read", "/v1/jobs admin",  "/v1/jobs/{id} read",
                                          "/healthz public", "/readyz public",  "/metrics public",
                                          "/openapi.json public", "/v1/banks read", "/v1/decisions admin",
                                          "/v1/decisions/{id} read", "/v1/policies read"};
  EXPECT_EQ(reads, expected);
  config.metrics_public = false;
  auto closed = ServeRoutes(config);
  const Route* metrics = closed->Find(Method::kGet, "/metrics");
  ASSERT_NE(metrics, nullptr);
  EXPECT_EQ(metrics->access, Access::kRead);
}

TEST(ServeRoutes, KeysAreCheckedOnEveryProtectedRouteBeforeItsServiceIsUsed) {
  ServerConfig config;
  config.api_keys = {{"reader-key-123", Role::kRead}, {"admin-key-4567", Role::kAdmin}};
  auto router = ServeRoutes(config);  // null services: a handler that ran would crash the test
  for (const Route& r : router->routes()) {
    if (r.access == Access::kPublic) continue;
    std::string path = r.pattern;
    for (size_t brace; (brace = path.find('{')) != std::string::npos;) {
      path = path.substr(0, brace) + "0123abcd" + path.substr(path.find('}', brace) + 1);
    }
    httplib::Response res;
    router->Dispatch(MakeRequest(MethodName(r.method), path), res);
    EXPECT_EQ(res.status, 401) << MethodName(r.method) << " " << path;
    if (r.access == Access::kAdmin) {
      res = {};
      router->Dispatch(MakeRequest(MethodName(r.method), path, {}, {{"X-API-Key", "reader-key-123"}}), res);
      EXPECT_EQ(res.status, 403) << MethodName(r.method) << " " << path;
    }
  }
  // Jobs disabled (no runner): an allowed key reaches the job routes, which answer 503.
  httplib::Response res;
  router->Dispatch(MakeRequest("GET", "/v1/jobs/0123abcd", {}, {{"Authorization", "bearer reader-key-123"}}), res);
  EXPECT_EQ(res.status, 503);
  EXPECT_EQ(testing::ErrorCode(res), "unavailable");
}

}  // namespace
}  // namespace vigil::server
