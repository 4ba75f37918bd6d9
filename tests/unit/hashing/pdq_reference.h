// Test helper for tests/unit/hashing: finds the PDQ reference vectors (../shared/pdq beside the
// repository, or $VIGIL_PDQ_REFERENCE) and parses reference.csv / dihedral.txt. With CI=true a
// missing directory is a failure; elsewhere the tests that need it skip with a clear message.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::testing {

struct PdqReferenceRow {
  std::string hash;  // 64 hex digits
  int quality = -1;  // -1 when the reference gives none
  std::string file;  // relative to images/
};

inline std::filesystem::path PdqReferenceDir() {
  const char* env = std::getenv("VIGIL_PDQ_REFERENCE");
  if (env != nullptr && *env != '\0') return env;
  return std::filesystem::path(VIGIL_SOURCE_DIR) / ".." / "shared" / "pdq";
}

inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// Reads `hash,quality,file` lines (comments and `key=value` lines are skipped).
inline std::vector<PdqReferenceRow> ReadPdqReference(const std::filesystem::path& csv) {
  std::vector<PdqReferenceRow> rows;
  std::ifstream in(csv);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.find('=') != std::string::npos) continue;
    const size_t a = line.find(',');
    const size_t b = line.find(',', a + 1);
    if (a != 64 || b == std::string::npos) continue;
    PdqReferenceRow row;
    row.hash = line.substr(0, a);
    const std::string q = line.substr(a + 1, b - a - 1);
    row.quality = q.empty() ? -1 : std::stoi(q);
    row.file = line.substr(b + 1);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace vigil::testing

// Skips the test (or fails it on CI) when the reference vectors are absent.
#define VIGIL_REQUIRE_PDQ_REFERENCE(dir)                                                          \
  do {                                                                                           \
    if (!std::filesystem::exists((dir) / "reference.csv")) {                                     \
      if (::vigil::testing::InCi()) FAIL() << "PDQ reference vectors missing at " << (dir);      \
      GTEST_SKIP() << "PDQ reference vectors not found at " << (dir)                             \
                   << " (set VIGIL_PDQ_REFERENCE to the shared/pdq directory)";                   \
    }                                                                                            \
  } while (0)
