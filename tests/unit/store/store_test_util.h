// Helpers for the store tests: the engines to run on (SQLite always, PostgreSQL when
// VIGIL_TEST_POSTGRES_URL is set, e.g. by tests/integration/store_postgres.sh) and a fresh,
// empty database per test: a temp SQLite file, or a new PostgreSQL schema (dropped afterwards)
// selected through the URL's search_path.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "store/connection.h"
#include "store/postgres_connection.h"

namespace vigil::store {
// Test names and CTest entries show "sqlite"/"postgresql" instead of the enum's bytes.
inline void PrintTo(Engine engine, std::ostream* os) { *os << EngineName(engine); }
}  // namespace vigil::store

namespace vigil::testing {

inline std::vector<store::Engine> PostgresIfConfigured() {
  const char* url = std::getenv("VIGIL_TEST_POSTGRES_URL");
  if (url && *url) return {store::Engine::kPostgres};
  return {};
}

inline std::string EngineTestName(const ::testing::TestParamInfo<store::Engine>& info) {
  return info.param == store::Engine::kSqlite ? "sqlite" : "postgresql";
}

class TestDatabase {
 public:
  explicit TestDatabase(store::Engine engine) : engine_(engine) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    static std::atomic<int> counter{0};
    const std::string tag = std::to_string(getpid()) + "_" + std::to_string(counter++);
    if (engine == store::Engine::kSqlite) {
      std::string name = std::string(info->test_suite_name()) + "_" + info->name();
      for (char& c : name) {
        if (c == '/') c = '_';
      }
      dir_ = std::filesystem::temp_directory_path() / ("vigil_store_" + name + "_" + tag);
      std::filesystem::remove_all(dir_);
      url_ = (dir_ / "sub" / "vigil.db").string();  // a directory that does not exist yet
      return;
    }
    base_url_ = std::getenv("VIGIL_TEST_POSTGRES_URL");
    schema_ = "vigil_test_" + tag;
    auto admin = store::PostgresConnection::Open(base_url_);
    if (!admin.ok()) {
      ADD_FAILURE() << admin.status().ToString();
      return;
    }
    Status s = (*admin)->Exec("CREATE SCHEMA " + schema_);
    if (!s.ok()) ADD_FAILURE() << s.ToString();
    url_ = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
  }
  ~TestDatabase() {
    if (engine_ == store::Engine::kSqlite) {
      std::filesystem::remove_all(dir_);
    } else if (auto admin = store::PostgresConnection::Open(base_url_); admin.ok()) {
      (void)(*admin)->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    }
  }
  // What JobStoreOptions::database gets.
  const std::string& url() const { return url_; }
  store::Engine engine() const { return engine_; }
  // A raw connection, for tests that look at or change rows directly.
  std::unique_ptr<store::Connection> Connect() const {
    auto db = store::Connect(url_, {});
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  store::Engine engine_;
  std::filesystem::path dir_;
  std::string base_url_, schema_, url_;
};

}  // namespace vigil::testing
