// WebhookSigner: Standard Webhooks signatures on OpenSSL's libcrypto (HMAC, base64, constant-time
// comparison). The only file that includes OpenSSL.
#include "vigil/webhook_signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace vigil {
namespace {

constexpr char kSecretPrefix[] = "whsec_";
constexpr size_t kMinKeyBytes = 24;
constexpr size_t kMaxKeyBytes = 64;

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

std::string SignedContent(const std::string& id, const std::string& timestamp, const std::string& body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return content;
}

// Parses decimal Unix seconds (no sign, no spaces, at most 12 digits).
bool ParseTimestamp(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 12) return false;
  int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::array<uint8_t, 32> HmacSha256(const std::vector<uint8_t>& key, const std::string& message) {
  std::array<uint8_t, 32> mac{};
  unsigned int length = 0;
  // An empty key is still a key: pass a valid pointer (HMAC refuses a null key with length 0).
  static const uint8_t kEmpty = 0;
  HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &length);
  return mac;
}

std::string Base64Encode(const uint8_t* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, int(size));
  out.resize(size_t(n));
  return out;
}

Result<std::vector<uint8_t>> Base64DecodeStrict(const std::string& text) {
  if (text.size() % 4 != 0) return InvalidArgumentError("base64 length is not a multiple of 4");
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (size_t i = 0; i + padding < text.size(); ++i) {
    if (!IsBase64Char(text[i])) return InvalidArgumentError("not base64 (standard alphabet with '=' padding)");
  }
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), int(text.size()));
  if (n < 0) return InvalidArgumentError("not base64");
  out.resize(size_t(n) - padding);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

Result<WebhookSigner> WebhookSigner::Create(const std::vector<std::string>& secrets) {
  if (secrets.empty()) return InvalidArgumentError("at least one webhook secret is needed");
  std::vector<std::vector<uint8_t>> keys;
  for (size_t i = 0; i < secrets.size(); ++i) {
    // The messages name the secret by position only: a secret must never reach a log.
    const std::string which = "webhook secret " + std::to_string(i + 1) + " of " + std::to_string(secrets.size());
    const std::string& s = secrets[i];
    if (s.compare(0, sizeof(kSecretPrefix) - 1, kSecretPrefix) != 0) {
      return InvalidArgumentError(which + " does not start with \"whsec_\" (make one with: echo \"whsec_$(openssl rand -base64 32)\")");
    }
    Result<std::vector<uint8_t>> key = Base64DecodeStrict(s.substr(sizeof(kSecretPrefix) - 1));
    if (!key.ok()) return InvalidArgumentError(which + ": the part after \"whsec_\" is " + key.status().message());
    if (key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) {
      return InvalidArgumentError(which + " decodes to " + std::to_string(key->size()) + " bytes; it must have " +
                                  std::to_string(kMinKeyBytes) + ".." + std::to_string(kMaxKeyBytes));
    }
    for (const auto& other : keys) {
      if (other == *key) return InvalidArgumentError(which + " repeats an earlier secret");
    }
    keys.push_back(std::move(*key));
  }
  return WebhookSigner(std::move(keys));
}

std::string WebhookSigner::Sign(const std::string& id, int64_t timestamp, const std::string& body) const {
  const std::string content = SignedContent(id, std::to_string(timestamp), body);
  std::string header;
  for (const auto& key : keys_) {
    const std::array<uint8_t, 32> mac = HmacSha256(key, content);
    if (!header.empty()) header += ' ';
    header += "v1," + Base64Encode(mac.data(), mac.size());
  }
  return header;
}

Status WebhookSigner::Verify(const std::string& id, const std::string& timestamp, const std::string& body,
                             const std::string& signature_header, int64_t now, int tolerance_seconds) const {
  int64_t sent = 0;
  if (!ParseTimestamp(timestamp, &sent)) return InvalidArgumentError("webhook-timestamp is not Unix seconds");
  if (sent < now - tolerance_seconds) return InvalidArgumentError("webhook-timestamp is too old (replay window)");
  if (sent > now + tolerance_seconds) return InvalidArgumentError("webhook-timestamp is in the future");
  const std::string content = SignedContent(id, timestamp, body);
  std::vector<std::array<uint8_t, 32>> expected;
  for (const auto& key : keys_) expected.push_back(HmacSha256(key, content));
  size_t start = 0;
  while (start < signature_header.size()) {
    size_t end = signature_header.find(' ', start);
    if (end == std::string::npos) end = signature_header.size();
    const std::string item = signature_header.substr(start, end - start);
    start = end + 1;
    if (item.compare(0, 3, "v1,") != 0) continue;  // other versions: not ours to check
    Result<std::vector<uint8_t>> mac = Base64DecodeStrict(item.substr(3));
    if (!mac.ok() || mac->size() != 32) continue;
    for (const auto& e : expected) {
      if (CRYPTO_memcmp(e.data(), mac->data(), e.size()) == 0) return Status::Ok();
    }
  }
  return InvalidArgumentError("no webhook-signature matches (wrong secret, or the body was altered)");
}

}  // namespace vigil
