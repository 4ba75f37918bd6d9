// PdqHash: hex parsing and formatting in the reference's layout, Hamming distance; dihedral names.
#include <cstdio>

#include "vigil/hashing.h"

namespace vigil {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<PdqHash> PdqHash::FromHex(std::string_view hex) {
  if (hex.size() != 64) {
    return InvalidArgumentError("a PDQ hash is 64 hex digits, got " + std::to_string(hex.size()) +
                                " characters");
  }
  std::array<uint64_t, 4> words{};
  // The first 16 digits are bits 255..192 (words[3]), the last 16 bits 63..0 (words[0]).
  for (int w = 0; w < 4; ++w) {
    uint64_t v = 0;
    for (int i = 0; i < 16; ++i) {
      const int d = HexDigit(hex[(3 - w) * 16 + i]);
      if (d < 0) return InvalidArgumentError("a PDQ hash is 64 hex digits, got '" + std::string(hex) + "'");
      v = (v << 4) | static_cast<uint64_t>(d);
    }
    words[w] = v;
  }
  return PdqHash(words);
}

std::string PdqHash::ToHex() const {
  char buffer[65];
  for (int w = 3; w >= 0; --w) {  // high word first: each snprintf's NUL is overwritten by the next
    std::snprintf(buffer + (3 - w) * 16, 17, "%016llx", static_cast<unsigned long long>(words_[w]));
  }
  return std::string(buffer, 64);
}

int PdqHash::Distance(const PdqHash& other) const {
  int d = 0;
  for (int w = 0; w < 4; ++w) d += __builtin_popcountll(words_[w] ^ other.words_[w]);
  return d;
}

int PdqHash::PopCount() const {
  int n = 0;
  for (uint64_t w : words_) n += __builtin_popcountll(w);
  return n;
}

const char* PdqDihedralName(PdqDihedral d) {
  switch (d) {
    case PdqDihedral::kOriginal: return "orig";
    case PdqDihedral::kRotate90: return "rot90";
    case PdqDihedral::kRotate180: return "rot180";
    case PdqDihedral::kRotate270: return "rot270";
    case PdqDihedral::kFlipX: return "flipx";
    case PdqDihedral::kFlipY: return "flipy";
    case PdqDihedral::kFlipPlus1: return "flipp";
    case PdqDihedral::kFlipMinus1: return "flipm";
  }
  return "?";
}

}  // namespace vigil
