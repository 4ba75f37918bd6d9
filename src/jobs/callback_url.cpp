// Callback URL parsing and the host allow-list (see vigil/callback_url.h).
#include "vigil/callback_url.h"

#include <algorithm>
#include <cctype>

namespace vigil {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

}  // namespace

Result<CallbackUrl> ParseCallbackUrl(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("callback_url \"" + url.substr(0, 200) + "\": " + why);
  };
  if (url.size() > 2048) return bad("longer than 2048 characters");
  for (unsigned char c : url) {
    if (c <= ' ' || c >= 0x7f) return bad("contains spaces or control/non-ASCII characters");
  }
  CallbackUrl out;
  const size_t colon = url.find("://");
  if (colon == std::string::npos) return bad("not an absolute URL");
  out.scheme = Lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") return bad("the scheme must be http or https");
  const size_t authority_start = colon + 3;
  const size_t authority_end = url.find_first_of("/?#", authority_start);
  const std::string authority = url.substr(authority_start, authority_end - authority_start);
  if (authority.find('@') != std::string::npos) return bad("user info (user@host) is not allowed");
  if (authority.empty() || authority[0] == '[') return bad("needs a host name or IPv4 address");
  const size_t port_colon = authority.rfind(':');
  out.host = Lower(authority.substr(0, port_colon));
  out.port = out.scheme == "https" ? 443 : 80;
  if (port_colon != std::string::npos) {
    const std::string port = authority.substr(port_colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return bad("invalid port");
    }
    out.port = std::stoi(port);
  }
  if (out.host.empty()) return bad("needs a host");
  // Letters, digits, dots and hyphens only: no percent-encoding, backslashes or other tricks that
  // HTTP clients might resolve differently from this check.
  if (out.host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    return bad("the host may contain only letters, digits, dots and hyphens");
  }
  std::string rest = authority_end == std::string::npos ? "" : url.substr(authority_end);
  if (rest.find('#') != std::string::npos) return bad("a fragment (#...) is not allowed");
  out.path = rest.empty() ? "/" : rest[0] == '?' ? "/" + rest : rest;
  return out;
}

Result<CallbackUrl> CheckCallbackUrl(const std::vector<std::string>& allowed_hosts, const std::string& url) {
  VIGIL_ASSIGN_OR_RETURN(CallbackUrl parsed, ParseCallbackUrl(url));
  if (allowed_hosts.empty()) {
    return InvalidArgumentError("callbacks are disabled on this server (no callbacks.allowed_hosts)");
  }
  for (const std::string& host : allowed_hosts) {
    if (Lower(host) == parsed.host) return parsed;
  }
  return InvalidArgumentError("callback host \"" + parsed.host + "\" is not in callbacks.allowed_hosts");
}

}  // namespace vigil
