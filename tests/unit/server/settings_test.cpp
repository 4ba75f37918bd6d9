// The settings table: vigil.yaml loading over the defaults, unknown keys in every section named
// with their section (and the nearest key), type errors, ranges, and docs/http-api.md's table
// equal to the one generated from the table.
#include <gtest/gtest.h>

#include <set>

#include "server_config.h"
#include "server_test_util.h"
#include "settings.h"

namespace vigil::server {
namespace {

Status Load(const std::string& yaml, ServerConfig* config) { return LoadServerSettingsYaml(yaml, "vigil.yaml", config); }

TEST(Settings, EveryKeyIsDeclaredOnceWithADoc) {
  std::set<std::string> keys;
  for (const SettingInfo& s : ServerSettings()) {
    EXPECT_TRUE(keys.insert(s.key).second) << s.key << " declared twice";
    EXPECT_FALSE(s.doc.empty()) << s.key;
    EXPECT_FALSE(s.type.empty()) << s.key;
  }
  // A few keys of every section.
  for (const char* k : {"host", "port", "api_keys", "models.repository", "models.load", "inference.workers",
                        "inference.max_batch_delay_us", "limits.max_pixels", "jobs.database", "callbacks.signing_secrets"}) {
    EXPECT_EQ(keys.count(k), 1u) << k;
  }
}

TEST(Settings, LoadsEverySectionOverTheDefaults) {
  ServerConfig c;
  const Status s = Load(R"(
host: 0.0.0.0
port: 9090
metrics_public: false
api_keys:
  - {key: reader-key-123}
  - {key: admin-key-4567, role: admin}
models:
  repository: /srv/models
  load: [a, "b:2"]
  default: b
inference:
  workers: 3
  max_batch: 8
  max_batch_delay_us: 1500
  max_queue: 17
limits:
  max_pixels: 1000000
  detect_min_score_threshold: 0.25
jobs:
  workers: 2
  allowed_content_types: [video/mp4]
  time_budget_seconds: 12.5
callbacks:
  allowed_hosts: [hooks.internal]
  retry_backoff_ms: 10
)",
                        &c);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 9090);
  EXPECT_FALSE(c.metrics_public);
  ASSERT_EQ(c.api_keys.size(), 2u);
  EXPECT_EQ(c.api_keys[0].role, Role::kRead);
  EXPECT_EQ(c.api_keys[1].role, Role::kAdmin);
  EXPECT_EQ(c.service.common.repository, "/srv/models");
  EXPECT_EQ(c.service.models, (std::vector<std::string>{"a", "b:2"}));
  EXPECT_EQ(c.service.default_model, "b");
  EXPECT_EQ(c.service.workers, 3);
  EXPECT_EQ(c.service.max_batch, 8);
  EXPECT_EQ(c.service.max_batch_delay.count(), 1500);
  EXPECT_EQ(c.service.max_queue, 17u);
  EXPECT_EQ(c.service.common.decode.max_pixels, 1000000);
  EXPECT_FLOAT_EQ(c.service.detect_min_score_threshold, 0.25f);
  EXPECT_EQ(c.jobs.workers, 2);
  EXPECT_EQ(c.jobs.allowed_content_types, (std::vector<std::string>{"video/mp4"}));
  EXPECT_DOUBLE_EQ(c.jobs.time_budget_seconds, 12.5);
  EXPECT_EQ(c.callbacks.allowed_hosts, (std::vector<std::string>{"hooks.internal"}));
  EXPECT_EQ(c.callbacks.retry_backoff_ms, 10);
  // Keys not in the file keep their defaults.
  const ServerConfig defaults;
  EXPECT_EQ(c.http_threads, defaults.http_threads);
  EXPECT_EQ(c.jobs.database, defaults.jobs.database);
  EXPECT_EQ(c.callbacks.max_attempts, defaults.callbacks.max_attempts);
  EXPECT_EQ(c.service.common.decode.max_dimension, defaults.service.common.decode.max_dimension);
}

TEST(Settings, ATypoInAnySectionNamesTheKeyTheSectionAndTheNearestKey) {
  struct Case {
    const char* yaml;
    const char* key;
    const char* where;
    const char* suggestion;
  };
  const std::vector<Case> cases = {
      {"prot: 1\n", "\"prot\"", "at the top level", "\"port\""},
      {"models:\n  repositry: m\n", "\"models.repositry\"", "in section models", "\"models.repository\""},
      {"models:\n  defualt: m\n", "\"models.defualt\"", "in section models", "\"models.default\""},
      {"inference:\n  max_batchs: 2\n", "\"inference.max_batchs\"", "in section inference", "\"inference.max_batch\""},
      {"inference:\n  worker: 2\n", "\"inference.worker\"", "in section inference", "\"inference.workers\""},
      {"limits:\n  max_pixel: 2\n", "\"limits.max_pixel\"", "in section limits", "\"limits.max_pixels\""},
      {"jobs:\n  databse: x.db\n", "\"jobs.databse\"", "in section jobs", "\"jobs.database\""},
      {"callbacks:\n  allowed_host: [a]\n", "\"callbacks.allowed_host\"", "in section callbacks",
       "\"callbacks.allowed_hosts\""},
      {"inference:\n  completely_different: 1\n", "\"inference.completely_different\"", "in section inference", ""},
  };
  for (const Case& c : cases) {
    ServerConfig config;
    const Status s = Load(c.yaml, &config);
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << c.yaml;
    EXPECT_NE(s.message().find(std::string("unknown key ") + c.key), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.where), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("vigil.yaml"), std::string::npos) << s.message();
    if (*c.suggestion) {
      EXPECT_NE(s.message().find(std::string("did you mean ") + c.suggestion), std::string::npos) << s.message();
    } else {
      EXPECT_EQ(s.message().find("did you mean"), std::string::npos) << s.message();
    }
  }
  ServerConfig config;
  const Status key = Load("api_keys:\n  - {key: reader-key-123, rol: admin}\n", &config);
  EXPECT_NE(key.message().find("unknown key \"rol\" in api_keys[0]"), std::string::npos) << key.message();
  EXPECT_NE(key.message().find("did you mean \"role\""), std::string::npos) << key.message();
}

TEST(Settings, WrongTypesAndShapesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"port: eighty\n", "port must be an integer"},
      {"metrics_public: maybe\n", "metrics_public must be true or false"},
      {"inference:\n  max_queue: -1\n", "inference.max_queue must be a non-negative integer"},
      {"limits:\n  detect_min_score_threshold: low\n", "limits.detect_min_score_threshold must be a number"},
      {"jobs:\n  input_dirs: /srv\n", "jobs.input_dirs must be a list of strings"},
      {"models: [a]\n", "models must be a mapping"},
      {"api_keys:\n  - {key: reader-key-123, role: root}\n", "api_keys[0].role must be \"read\" or \"admin\""},
      {"- a\n- b\n", "the top level must be a mapping"},
      {"port: [1\n", "vigil.yaml"},  // a YAML syntax error
  };
  for (const auto& [yaml, want] : cases) {
    ServerConfig config;
    const Status s = Load(yaml, &config);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << yaml;
    EXPECT_NE(s.message().find(want), std::string::npos) << yaml << " -> " << s.message();
  }
  ServerConfig config;
  EXPECT_TRUE(Load("", &config).ok());  // an empty file: every default
}

TEST(Settings, RangesAreCheckedWithTheKeyName) {
  ServerConfig c;
  NormalizeServerConfig(&c);
  ASSERT_TRUE(ValidateServerConfig(c).ok()) << ValidateServerConfig(c).ToString();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"port: 70000\n", "port must be in 0..65535, got 70000"},
      {"http_threads: 0\n", "http_threads must be in 1..1024"},
      {"max_body_bytes: 10\n", "max_body_bytes must be in 1024.."},
      {"inference:\n  max_batch: 0\n", "inference.max_batch must be in 1..256"},
      {"inference:\n  workers: 1000\n", "inference.workers must be in 0..256"},
      {"limits:\n  detect_min_score_threshold: 1.5\n", "limits.detect_min_score_threshold must be in [0, 1]"},
      {"jobs:\n  workers: 65\n", "jobs.workers must be in 1..64"},
      {"jobs:\n  time_budget_seconds: -1\n", "jobs.time_budget_seconds must be in [0, "},
      {"callbacks:\n  timeout_seconds: 0\n", "callbacks.timeout_seconds must be in 1..300"},
  };
  for (const auto& [yaml, want] : cases) {
    ServerConfig config;
    ASSERT_TRUE(Load(yaml, &config).ok()) << yaml;
    NormalizeServerConfig(&config);
    const Status s = ValidateServerConfig(config);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << yaml;
    EXPECT_NE(s.message().find(want), std::string::npos) << yaml << " -> " << s.message();
  }
  ServerConfig short_key;
  ASSERT_TRUE(Load("api_keys:\n  - {key: short}\n", &short_key).ok());
  NormalizeServerConfig(&short_key);
  EXPECT_NE(ValidateServerConfig(short_key).message().find("at least 8 characters"), std::string::npos);
}

TEST(Settings, NearestKeyOnlySuggestsCloseKeys) {
  EXPECT_EQ(NearestKey("prot", {"port", "host"}), "port");
  EXPECT_EQ(NearestKey("max_batchs", {"max_batch", "max_queue", "workers"}), "max_batch");
  EXPECT_EQ(NearestKey("zzz", {"port", "host"}), "");
  EXPECT_EQ(NearestKey("", {"port"}), "");
}

// docs/http-api.md carries the generated table between two markers; regenerate it with
// `vigil serve --print-config-docs` when a key changes.
TEST(Settings, DocsTableEqualsTheGeneratedOne) {
  const std::string docs = testing::ReadFile(std::string(VIGIL_SOURCE_DIR) + "/docs/http-api.md");
  ASSERT_FALSE(docs.empty());
  const std::string begin = "<!-- settings table: generated by `vigil serve --print-config-docs` -->\n";
  const std::string end = "<!-- end of settings table -->";
  const size_t b = docs.find(begin);
  const size_t e = docs.find(end);
  ASSERT_NE(b, std::string::npos) << "docs/http-api.md has no generated settings table";
  ASSERT_NE(e, std::string::npos);
  ASSERT_LT(b, e);
  EXPECT_EQ(docs.substr(b + begin.size(), e - b - begin.size()), ServerSettingsMarkdown())
      << "docs/http-api.md's settings table differs from the settings table: regenerate it";
  // Every key appears in the table.
  for (const SettingInfo& s : ServerSettings()) {
    EXPECT_NE(docs.find("| `" + s.key + "` |"), std::string::npos) << s.key;
  }
}

}  // namespace
}  // namespace vigil::server
