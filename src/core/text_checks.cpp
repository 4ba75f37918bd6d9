// HasControlCharacter / CheckText / CheckName: the one validation of paths, names and labels
// (include/vigil/text_checks.h).
#include "vigil/text_checks.h"

#include <cstdio>
#include <string>

namespace vigil {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

}  // namespace

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    if (IsControl(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

Status CheckText(std::string_view text, std::string_view what) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!IsControl(c)) continue;
    char byte[8];
    std::snprintf(byte, sizeof(byte), "0x%02x", c);
    return InvalidArgumentError(std::string(what) + " contains a control character (" + byte + " at byte " +
                                std::to_string(i) + ")");
  }
  return Status::Ok();
}

Status CheckName(std::string_view name, std::string_view what) {
  VIGIL_RETURN_IF_ERROR(CheckText(name, what));
  const std::string w(what);
  if (name.empty()) return InvalidArgumentError(w + " is empty");
  if (name.size() > 255) return InvalidArgumentError(w + " is longer than 255 bytes");
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return InvalidArgumentError(w + " must not contain '/' or '\\'");
  }
  if (name == "." || name == "..") return InvalidArgumentError(w + " must not be \".\" or \"..\"");
  return Status::Ok();
}

}  // namespace vigil
