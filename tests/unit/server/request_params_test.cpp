// Query-parameter helpers: typed values with ranges, accepted names, model names (no empty names,
// no NUL or control characters), each error naming the parameter.
#include <gtest/gtest.h>

#include "request_params.h"
#include "server_test_util.h"

namespace vigil::server {
namespace {

using testing::MakeRequest;

httplib::Request WithParam(const std::string& name, const std::string& value) {
  return MakeRequest("POST", "/x", {{name, value}});
}

TEST(RequestParams, IntegersInRange) {
  int v = 7;
  EXPECT_TRUE(ReadIntParam(MakeRequest("GET", "/x"), "top_k", 0, 10, &v).ok());
  EXPECT_EQ(v, 7);  // absent: unchanged
  EXPECT_TRUE(ReadIntParam(WithParam("top_k", "3"), "top_k", 0, 10, &v).ok());
  EXPECT_EQ(v, 3);
  EXPECT_TRUE(ReadIntParam(WithParam("top_k", "10"), "top_k", 0, 10, &v).ok());
  for (const char* bad : {"", "many", "2.5", "11", "-1", "0x3", " 3", "3 ", "99999999999999999999"}) {
    const Status s = ReadIntParam(WithParam("top_k", bad), "top_k", 0, 10, &v);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("top_k must be an integer in 0..10"), std::string::npos) << s.message();
  }
  EXPECT_EQ(v, 10);
}

TEST(RequestParams, NumbersInOpenOrClosedRanges) {
  float v = -1;
  EXPECT_TRUE(ReadNumberParam(WithParam("t", "0.5"), "t", 0, false, 1, &v).ok());
  EXPECT_FLOAT_EQ(v, 0.5f);
  EXPECT_TRUE(ReadNumberParam(WithParam("t", "0"), "t", 0, false, 1, &v).ok());
  EXPECT_FALSE(ReadNumberParam(WithParam("t", "0"), "t", 0, true, 1, &v).ok());  // (0, 1]
  EXPECT_TRUE(ReadNumberParam(WithParam("t", "1e-1"), "t", 0, true, 1, &v).ok());
  for (const char* bad : {"", "abc", "nan", "inf", "0x1", "1.5", "-0.1", "0.5x"}) {
    const Status s = ReadNumberParam(WithParam("t", bad), "t", 0, false, 1, &v);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("t must be a number in [0, 1]"), std::string::npos) << s.message();
  }
}

TEST(RequestParams, BooleansAreExactlyTrueOrFalse) {
  bool v = false;
  EXPECT_TRUE(ReadBoolParam(WithParam("embedding", "true"), "embedding", &v).ok());
  EXPECT_TRUE(v);
  EXPECT_TRUE(ReadBoolParam(WithParam("embedding", "false"), "embedding", &v).ok());
  EXPECT_FALSE(v);
  for (const char* bad : {"maybe", "", "1", "TRUE", "yes"}) {
    const Status s = ReadBoolParam(WithParam("embedding", bad), "embedding", &v);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("embedding must be true or false"), std::string::npos);
  }
}

TEST(RequestParams, UnknownAndRepeatedParametersAreRefused) {
  EXPECT_TRUE(CheckQueryParams(MakeRequest("GET", "/x", {{"model", "a"}, {"top_k", "2"}}), {"model", "top_k"}).ok());
  const Status typo = CheckQueryParams(WithParam("score_treshold", "1"), {"model", "score_threshold"});
  EXPECT_NE(typo.message().find("unknown query parameter \"score_treshold\""), std::string::npos) << typo.message();
  EXPECT_NE(typo.message().find("accepted: model, score_threshold"), std::string::npos);
  const Status twice = CheckQueryParams(MakeRequest("GET", "/x", {{"top_k", "2"}, {"top_k", "3"}}), {"top_k"});
  EXPECT_NE(twice.message().find("top_k given more than once"), std::string::npos);
  // A control character in a parameter name is shown escaped, never raw.
  const Status nul = CheckQueryParams(WithParam(std::string("a\0b", 3), "1"), {"model"});
  EXPECT_NE(nul.message().find("\"a\\x00b\""), std::string::npos) << nul.message();
  EXPECT_EQ(nul.message().find('\0'), std::string::npos);
}

TEST(RequestParams, ModelNamesAreCheckedBeforeAnyUse) {
  for (const char* ok : {"nsfw_mobilenet_v2", "a", "model-1.2"}) EXPECT_TRUE(CheckModelName("model", ok).ok()) << ok;
  const std::vector<std::string> bad = {"", std::string("\0", 1), std::string("nsfw\0x", 6), "a\nb", "a b", "../x",
                                        "a/b", "a:1", "caf\xc3\xa9", std::string(129, 'a')};
  for (const std::string& name : bad) {
    const Status s = CheckModelName("query parameter model", name);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(s.message().find("query parameter model"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\0'), std::string::npos);  // never echoed raw
    EXPECT_EQ(s.message().find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace vigil::server
