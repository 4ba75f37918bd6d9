// ValidateBankInfo: the rules every BankStore applies to a bank's name and settings (the name is
// also a directory name in the file store and a URL path segment in the HTTP API).
#include <algorithm>
#include <cctype>

#include "vigil/hash_bank.h"

namespace vigil {

Status ValidateBankInfo(const BankInfo& info) {
  if (info.name.empty() || info.name.size() > 64 ||
      !std::all_of(info.name.begin(), info.name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
      }) || info.name[0] == '.') {
    return InvalidArgumentError("bank name must be 1-64 of [A-Za-z0-9_.-], not starting with '.': '" + info.name + "'");
  }
  if (info.threshold < 0 || info.threshold > 64) return InvalidArgumentError("bank threshold must be in 0..64");
  if (info.quality_floor < 0 || info.quality_floor > 100) return InvalidArgumentError("bank quality floor must be in 0..100");
  return Status::Ok();
}

}  // namespace vigil
