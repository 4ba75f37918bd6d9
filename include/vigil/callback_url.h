// Callback URLs of finished jobs: parsing and the host allow-list, kept in the library so the
// policy is one tested function whatever delivers the callback.
//
//   VIGIL_ASSIGN_OR_RETURN(vigil::CallbackUrl url,
//                          vigil::CheckCallbackUrl({"hooks.internal"}, "http://hooks.internal/v"));
//   // url.scheme "http", url.host "hooks.internal", url.port 80, url.path "/v"
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "vigil/status.h"

namespace vigil {

struct CallbackUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower case host name or IPv4 address
  int port = 0;        // explicit or the scheme's default
  std::string path;    // path and query; "/" when absent
};

// Parses an absolute http(s) URL. Refused (kInvalidArgument): other schemes, user info
// ("user@host", also disguised with backslashes or encodings), IPv6 literals, fragments, bad
// ports, spaces or non-ASCII, more than 2048 characters.
Result<CallbackUrl> ParseCallbackUrl(const std::string& url);

// ParseCallbackUrl, then the host must equal (case-insensitive) one of `allowed_hosts`;
// an empty list refuses every URL.
Result<CallbackUrl> CheckCallbackUrl(const std::vector<std::string>& allowed_hosts, const std::string& url);

}  // namespace vigil
