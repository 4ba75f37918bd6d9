// Callback URL policy: what is parsed, and every disguise of another host that must be refused.
#include <gtest/gtest.h>

#include "vigil/callback_url.h"

namespace vigil {
namespace {

TEST(CallbackUrl, ParsesSchemeHostPortAndPath) {
  auto u = ParseCallbackUrl("HTTP://Hooks.Example.com:8081/a/b?x=1&y=2");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 8081);
  EXPECT_EQ(u->path, "/a/b?x=1&y=2");
  auto s = ParseCallbackUrl("https://10.0.0.7");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->port, 443);
  EXPECT_EQ(s->path, "/");
  auto q = ParseCallbackUrl("http://127.0.0.1?job=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->path, "/?job=1");
}

TEST(CallbackUrl, RefusesMalformedAndDisguisedUrls) {
  for (const char* url : {"", "hooks.example.com/x", "ftp://hooks.example.com/", "file:///etc/passwd",
                          "javascript:alert(1)", "http://", "http:///path", "http://user@hooks.example.com/",
                          "http://hooks.example.com@evil.com/", "http://hooks.example.com\\@evil.com/",
                          "http://hooks.example.com%2f@evil.com/", "http://evil.com#@hooks.example.com",
                          "http://hooks.example.com/x#frag", "http://[::1]:80/", "http://hooks.example.com:0/",
                          "http://hooks.example.com:65536/", "http://hooks.example.com:80:81/",
                          "http://hooks.example.com:-1/", "http://hooks.example.com:/", "http://hooks .example.com/",
                          "http://hooks.example.com/a b", "http://h\xc3\xb6oks.example.com/", "http://hooks%2eexample.com/",
                          "http://hooks_example.com/"}) {
    EXPECT_EQ(ParseCallbackUrl(url).status().code(), StatusCode::kInvalidArgument) << url;
  }
  EXPECT_FALSE(ParseCallbackUrl("http://a.com/" + std::string(3000, 'x')).ok());
}

TEST(CallbackUrl, AllowListMatchesWholeHostsOnly) {
  const std::vector<std::string> allowed = {"hooks.example.com", "127.0.0.1"};
  EXPECT_TRUE(CheckCallbackUrl(allowed, "http://hooks.example.com/v").ok());
  EXPECT_TRUE(CheckCallbackUrl(allowed, "https://HOOKS.example.COM:8443/v").ok());
  EXPECT_TRUE(CheckCallbackUrl(allowed, "http://127.0.0.1:9000/hook").ok());
  for (const char* url : {"http://evil.com/", "http://hooks.example.com.evil.com/", "http://evilhooks.example.com/",
                          "http://sub.hooks.example.com/", "http://127.0.0.1.nip.io/", "http://127.0.0.2/",
                          "http://localhost/", "http://2130706433/", "http://0x7f000001/",
                          "http://hooks.example.com./", "http://127.0.0.1@evil.com/"}) {
    auto r = CheckCallbackUrl(allowed, url);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
  }
  auto refused = CheckCallbackUrl(allowed, "http://evil.com/x");
  EXPECT_NE(refused.status().message().find("\"evil.com\" is not in callbacks.allowed_hosts"), std::string::npos)
      << refused.status().message();
  auto none = CheckCallbackUrl({}, "http://hooks.example.com/v");
  EXPECT_NE(none.status().message().find("disabled"), std::string::npos);
}

}  // namespace
}  // namespace vigil
