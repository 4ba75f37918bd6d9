// Helpers for the jobs tests: a fresh database directory per test, removed afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace vigil::testing {

class TempDbDir {
 public:
  TempDbDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("vigil_jobs_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
            std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
  }
  ~TempDbDir() { std::filesystem::remove_all(dir_); }
  // A database path inside a directory that does not exist yet (the store creates it).
  std::string db() const { return (dir_ / "sub" / "vigil.db").string(); }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace vigil::testing
