// Signed callbacks: HMAC-SHA256 against RFC 4231 and the `openssl` command, the Standard Webhooks
// published vector, rotation (one signature per secret), and what a receiver must refuse.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "unit/require_fixture.h"
#include "vigil/webhook_signature.h"

namespace vigil {
namespace {

std::string Hex(const uint8_t* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::vector<uint8_t> Bytes(const std::string& s) { return {s.begin(), s.end()}; }

// Runs a shell command, returns its stdout without the trailing newline ("" on failure).
std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[512];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  if (pclose(pipe) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string RandomSecret(std::mt19937* rng, size_t bytes) {
  std::vector<uint8_t> key(bytes);
  for (uint8_t& b : key) b = uint8_t((*rng)() & 0xff);
  return "whsec_" + Base64Encode(key.data(), key.size());
}

TEST(WebhookSignature, HmacSha256MatchesRfc4231) {
  // RFC 4231 test cases 1 and 2.
  const std::array<uint8_t, 32> one = HmacSha256(std::vector<uint8_t>(20, 0x0b), "Hi There");
  EXPECT_EQ(Hex(one.data(), one.size()), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const std::array<uint8_t, 32> two = HmacSha256(Bytes("Jefe"), "what do ya want for nothing?");
  EXPECT_EQ(Hex(two.data(), two.size()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookSignature, ReproducesTheStandardWebhooksPublishedVector) {
  // The vector of the Standard Webhooks reference libraries: what a receiver's library expects.
  auto signer = WebhookSigner::Create({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  ASSERT_TRUE(signer.ok()) << signer.status().ToString();
  EXPECT_EQ(signer->Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, AgreesWithTheOpensslCommand) {
  VIGIL_REQUIRE_FIXTURE(!Shell("openssl version").empty(), "no openssl command");
  std::mt19937 rng(7);
  const std::string dir = ::testing::TempDir();
  for (int i = 0; i < 3; ++i) {
    const std::string secret = RandomSecret(&rng, 24 + 20 * size_t(i));
    std::vector<uint8_t> key = *Base64DecodeStrict(secret.substr(6));
    std::string body = "{\"id\":\"" + std::to_string(rng()) + "\",\"bytes\":\"";
    for (int k = 0; k < 300 * i; ++k) body += char(1 + rng() % 255);  // any bytes, newlines too
    body += "\"}";
    const std::string id = "0123456789abcdef0123456789abcd" + std::to_string(10 + i);
    const int64_t timestamp = 1764700000 + i;
    const std::string file = dir + "/webhook_content_" + std::to_string(i);
    std::ofstream(file, std::ios::binary) << id << "." << timestamp << "." << body;
    const std::string hex = Shell("openssl dgst -sha256 -mac HMAC -macopt hexkey:" + Hex(key.data(), key.size()) +
                                " -binary " + file + " | od -An -v -tx1 | tr -d ' \\n'");
    const std::string b64 = Shell("openssl dgst -sha256 -mac HMAC -macopt hexkey:" + Hex(key.data(), key.size()) +
                                " -binary " + file + " | openssl base64 -A");
    ASSERT_EQ(hex.size(), 64u) << hex;
    auto signer = WebhookSigner::Create({secret});
    ASSERT_TRUE(signer.ok()) << signer.status().ToString();
    EXPECT_EQ(signer->Sign(id, timestamp, body), "v1," + b64);
    std::ifstream in(file, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::array<uint8_t, 32> mac = HmacSha256(key, content);
    EXPECT_EQ(Hex(mac.data(), mac.size()), hex);
  }
}

TEST(WebhookSignature, RotationSendsOneSignaturePerSecretAndEitherVerifies) {
  std::mt19937 rng(11);
  const std::string old_secret = RandomSecret(&rng, 32), new_secret = RandomSecret(&rng, 32);
  auto both = WebhookSigner::Create({old_secret, new_secret});
  auto old_only = WebhookSigner::Create({old_secret});
  auto new_only = WebhookSigner::Create({new_secret});
  ASSERT_TRUE(both.ok() && old_only.ok() && new_only.ok());
  EXPECT_EQ(both->secret_count(), 2u);
  const std::string body = R"({"id":"j","state":"succeeded"})";
  const std::string header = both->Sign("j", 1000, body);
  EXPECT_EQ(header, old_only->Sign("j", 1000, body) + " " + new_only->Sign("j", 1000, body));
  // A receiver that knows only one of the two secrets accepts the callback.
  EXPECT_TRUE(old_only->Verify("j", "1000", body, header, 1000).ok());
  EXPECT_TRUE(new_only->Verify("j", "1000", body, header, 1000).ok());
  auto stranger = WebhookSigner::Create({RandomSecret(&rng, 32)});
  EXPECT_FALSE(stranger->Verify("j", "1000", body, header, 1000).ok());
}

TEST(WebhookSignature, ReceiverRefusesTamperingAndReplays) {
  auto signer = WebhookSigner::Create({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"});
  ASSERT_TRUE(signer.ok());
  const std::string body = R"({"id":"abc","state":"succeeded","result":{"tags":["Neutral"]}})";
  const int64_t t = 1764700000;
  const std::string header = signer->Sign("abc", t, body);
  EXPECT_TRUE(signer->Verify("abc", std::to_string(t), body, header, t).ok());
  EXPECT_TRUE(signer->Verify("abc", std::to_string(t), body, header, t + kWebhookToleranceSeconds).ok());
  std::string tampered = body;
  tampered.replace(tampered.find("Neutral"), 7, "Porn!!!");
  EXPECT_FALSE(signer->Verify("abc", std::to_string(t), tampered, header, t).ok());
  EXPECT_FALSE(signer->Verify("abc", std::to_string(t), body + " ", header, t).ok());
  EXPECT_FALSE(signer->Verify("abd", std::to_string(t), body, header, t).ok()) << "the id is signed";
  EXPECT_FALSE(signer->Verify("abc", std::to_string(t + 1), body, header, t).ok()) << "the timestamp is signed";
  // Replay window: a genuine signature outside it is refused, in the past or the future.
  Status old = signer->Verify("abc", std::to_string(t), body, header, t + kWebhookToleranceSeconds + 1);
  EXPECT_FALSE(old.ok());
  EXPECT_NE(old.message().find("too old"), std::string::npos) << old.message();
  EXPECT_FALSE(signer->Verify("abc", std::to_string(t), body, header, t - kWebhookToleranceSeconds - 1).ok());
  // Malformed headers and timestamps; an unknown version is skipped, a later good one still counts.
  for (const char* bad : {"", "v1,", "v1,!!!!", "v2," , "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}) {
    EXPECT_FALSE(signer->Verify("abc", std::to_string(t), body, bad, t).ok()) << bad;
  }
  EXPECT_TRUE(signer->Verify("abc", std::to_string(t), body, "v1a,xyz v1,AAAA " + header, t).ok());
  for (const char* ts : {"", "-1", "12a", " 1764700000", "1764700000.5", "99999999999999"}) {
    EXPECT_FALSE(signer->Verify("abc", ts, body, header, t).ok()) << ts;
  }
}

TEST(WebhookSignature, RefusesBadSecretsWithoutQuotingThem) {
  std::mt19937 rng(3);
  const std::string good = RandomSecret(&rng, 32);
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},            // no whsec_ prefix
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"},       // not a multiple of 4
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS*"},      // not the base64 alphabet
      {"whsec_c2hvcnQtc2VjcmV0"},                      // 12 bytes: too short
      {RandomSecret(&rng, 65)},                        // too long
      {good, good},                                    // the same secret twice
  };
  for (const auto& secrets : bad) {
    auto signer = WebhookSigner::Create(secrets);
    ASSERT_FALSE(signer.ok());
    EXPECT_EQ(signer.status().code(), StatusCode::kInvalidArgument);
    for (const std::string& s : secrets) {
      EXPECT_EQ(signer.status().message().find(s.substr(6)), std::string::npos) << signer.status().message();
    }
  }
  EXPECT_TRUE(WebhookSigner::Create({RandomSecret(&rng, 24)}).ok());
  EXPECT_TRUE(WebhookSigner::Create({RandomSecret(&rng, 64)}).ok());
}

TEST(WebhookSignature, Base64RoundTripsAndIsStrict) {
  std::mt19937 rng(5);
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> data(n);
    for (uint8_t& b : data) b = uint8_t(rng() & 0xff);
    const std::string text = Base64Encode(data.data(), data.size());
    EXPECT_EQ(text.size(), 4 * ((n + 2) / 3));
    auto back = Base64DecodeStrict(text);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, data);
  }
  EXPECT_EQ(Base64Encode(reinterpret_cast<const uint8_t*>("foobar"), 6), "Zm9vYmFy");  // RFC 4648 section 10
  EXPECT_EQ(Base64Encode(reinterpret_cast<const uint8_t*>("fo"), 2), "Zm8=");
  for (const char* bad : {"Zm8", "Zm=8", "Z===", "Zm8-", "Zm8_", "Zm 8", "=Zm8"}) {
    EXPECT_FALSE(Base64DecodeStrict(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace vigil
