// Signed callbacks in the Standard Webhooks format (https://www.standardwebhooks.com, the scheme of
// Svix and others): a receiver checks that a callback comes from this server, was not altered and
// is recent. Each request carries three headers:
//   webhook-id         the delivery id: the same on every retry of one message (idempotency key)
//   webhook-timestamp  Unix seconds of this attempt
//   webhook-signature  "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>", one per
//                      active secret, space-separated (several during a secret rotation)
// Secrets are "whsec_" + base64 of 24..64 random bytes (the HMAC key is the decoded bytes), so any
// Standard Webhooks library verifies them. Make one with: echo "whsec_$(openssl rand -base64 32)"
//
//   VIGIL_ASSIGN_OR_RETURN(vigil::WebhookSigner signer, vigil::WebhookSigner::Create({secret}));
//   std::string header = signer.Sign(job_id, std::time(nullptr), body);   // "v1,K5oZ..."
//   // receiver side (also C++):
//   VIGIL_RETURN_IF_ERROR(verifier.Verify(id, timestamp, body, header, std::time(nullptr)));
//
// Thread-safety: a WebhookSigner is immutable after Create; Sign and Verify may be called from any
// number of threads. Errors never contain a secret.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

// Receivers should refuse a webhook-timestamp further than this from their clock (replay window).
inline constexpr int kWebhookToleranceSeconds = 300;

class WebhookSigner {
 public:
  // `secrets`: at least one "whsec_<base64>" secret decoding to 24..64 bytes; all of them sign
  // (a rotation adds the new secret, then removes the old one once receivers have switched).
  static Result<WebhookSigner> Create(const std::vector<std::string>& secrets);

  // The webhook-signature header value for one attempt: "v1,SIG" per secret, in the order given.
  std::string Sign(const std::string& id, int64_t timestamp, const std::string& body) const;

  // Receiver check: OK when `timestamp` (decimal Unix seconds) is within tolerance_seconds of
  // `now` and one "v1," signature of `signature_header` matches one secret (constant-time
  // comparison). kInvalidArgument otherwise (malformed header or timestamp, too old or in the
  // future, no matching signature).
  Status Verify(const std::string& id, const std::string& timestamp, const std::string& body,
                const std::string& signature_header, int64_t now,
                int tolerance_seconds = kWebhookToleranceSeconds) const;

  size_t secret_count() const { return keys_.size(); }

 private:
  explicit WebhookSigner(std::vector<std::vector<uint8_t>> keys) : keys_(std::move(keys)) {}
  std::vector<std::vector<uint8_t>> keys_;
};

// HMAC-SHA256 (OpenSSL libcrypto) of `message` under `key`.
std::array<uint8_t, 32> HmacSha256(const std::vector<uint8_t>& key, const std::string& message);

// Standard base64 (RFC 4648 section 4, with '=' padding).
std::string Base64Encode(const uint8_t* data, size_t size);
// Strict: only the standard alphabet, correct padding, length a multiple of 4.
Result<std::vector<uint8_t>> Base64DecodeStrict(const std::string& text);

}  // namespace vigil
