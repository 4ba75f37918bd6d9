// Model repository and manifest: round trip, validation errors, version lookup, atomic install.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "vigil/model_manifest.h"
#include "vigil/model_repository.h"

namespace vigil {
namespace {
namespace fs = std::filesystem;

ModelManifest SampleManifest(const std::string& name, int version) {
  ModelManifest m;
  m.name = name;
  m.version = version;
  m.input = {"input_1", 224, 224, 3, "NHWC"};
  m.labels = {"a", "b", "c"};
  m.probabilities_output = "probabilities";
  m.embedding_output = "embedding";
  m.embedding_size = 1280;
  m.preprocessing.mean = {0.5f, 0.25f, 0.125f};
  return m;
}

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("vigil_repo_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    onnx_ = (root_ / "src.onnx").string();
    std::ofstream(onnx_) << "not really onnx, the repository does not parse it";
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
  std::string onnx_;
};

TEST(ManifestTest, RoundTripPreservesEveryField) {
  ModelManifest m = SampleManifest("nsfw_test", 3);
  m.description = "desc";
  m.source = "npm:x";
  m.preprocessing.std = {2, 3, 4};
  m.preprocessing.align_corners = false;
  auto parsed = ParseManifest(SerializeManifest(m));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->name, m.name);
  EXPECT_EQ(parsed->version, 3);
  EXPECT_EQ(parsed->input.name, "input_1");
  EXPECT_EQ(parsed->input.width, 224);
  EXPECT_EQ(parsed->labels, m.labels);
  EXPECT_EQ(parsed->preprocessing.mean, m.preprocessing.mean);
  EXPECT_EQ(parsed->preprocessing.std, m.preprocessing.std);
  EXPECT_FALSE(parsed->preprocessing.align_corners);
  EXPECT_EQ(parsed->embedding_size, 1280);
  EXPECT_EQ(parsed->source, "npm:x");
}

TEST(ManifestTest, RejectsMalformedManifestsWithTheFieldName) {
  EXPECT_EQ(ParseManifest("{").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseManifest("[]").status().code(), StatusCode::kInvalidArgument);
  ModelManifest m = SampleManifest("x", 1);
  m.labels.clear();
  Status s = ParseManifest(SerializeManifest(m)).status();
  EXPECT_NE(s.message().find("labels"), std::string::npos) << s.ToString();
  m = SampleManifest("bad/name", 1);
  EXPECT_NE(ValidateManifest(m).message().find("name"), std::string::npos);
  m = SampleManifest("x", 1);
  m.input.layout = "HWC";
  EXPECT_NE(ValidateManifest(m).message().find("layout"), std::string::npos);
  m = SampleManifest("x", 1);
  m.preprocessing.std[1] = 0;
  EXPECT_NE(ValidateManifest(m).message().find("std"), std::string::npos);
}

TEST(ModelRefTest, ParsesNameAndVersion) {
  EXPECT_EQ(ParseModelRef("m").value().version, 0);
  EXPECT_EQ(ParseModelRef("m:7").value().version, 7);
  EXPECT_EQ(ParseModelRef("m:latest").value().version, 0);
  EXPECT_EQ(ParseModelRef("m:7").value().name, "m");
  EXPECT_FALSE(ParseModelRef("m:0").ok());
  EXPECT_FALSE(ParseModelRef("m:x").ok());
  EXPECT_FALSE(ParseModelRef(":3").ok());
}

TEST_F(RepositoryTest, AddFindListAndLatestVersion) {
  auto repo = ModelRepository::Open(root_.string());
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ((*repo)->NextVersion("m"), 1);
  ASSERT_TRUE((*repo)->Add(SampleManifest("m", 1), onnx_).ok());
  ASSERT_TRUE((*repo)->Add(SampleManifest("m", 2), onnx_).ok());
  ASSERT_TRUE((*repo)->Add(SampleManifest("other", 1), onnx_).ok());
  EXPECT_EQ((*repo)->NextVersion("m"), 3);

  auto latest = (*repo)->Find("m");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->manifest.version, 2);
  EXPECT_TRUE(fs::is_regular_file(latest->onnx_path));
  EXPECT_EQ((*repo)->Find("m", 1).value().manifest.version, 1);

  std::vector<ModelEntry> all = (*repo)->List();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].manifest.name, "m");
  EXPECT_EQ(all[2].manifest.name, "other");
  // No temporary folders are left behind by Add.
  for (const auto& e : fs::directory_iterator(root_ / "m")) {
    EXPECT_NE(e.path().filename().string().rfind(".tmp", 0), 0u) << e.path();
  }
}

TEST_F(RepositoryTest, ClearErrorsForMissingModelsAndVersions) {
  auto repo = ModelRepository::Open(root_.string()).value();
  ASSERT_TRUE(repo->Add(SampleManifest("m", 1), onnx_).ok());
  Status s = repo->Find("nope").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("available: m"), std::string::npos) << s.message();
  EXPECT_EQ(repo->Find("m", 9).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(repo->Find("../etc").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ModelRepository::Open((root_ / "missing").string()).status().code(),
            StatusCode::kNotFound);
  // Adding the same version twice needs overwrite.
  EXPECT_EQ(repo->Add(SampleManifest("m", 1), onnx_).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(repo->Add(SampleManifest("m", 1), onnx_, /*overwrite=*/true).ok());
}

TEST_F(RepositoryTest, BrokenVersionsAreReportedNotListed) {
  auto repo = ModelRepository::Open(root_.string()).value();
  ASSERT_TRUE(repo->Add(SampleManifest("m", 1), onnx_).ok());
  fs::create_directories(root_ / "m" / "2");
  std::ofstream(root_ / "m" / "2" / "manifest.json") << "{ broken";
  std::ofstream(root_ / "m" / "2" / "model.onnx") << "x";
  // A manifest whose name disagrees with its folder.
  fs::create_directories(root_ / "n" / "1");
  std::ofstream(root_ / "n" / "1" / "manifest.json") << SerializeManifest(SampleManifest("m", 1));
  std::ofstream(root_ / "n" / "1" / "model.onnx") << "x";
  std::vector<std::string> problems;
  std::vector<ModelEntry> all = repo->List(&problems);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(problems.size(), 2u);
  EXPECT_FALSE(repo->Find("m", 2).ok());
  EXPECT_FALSE(repo->Find("n").ok());
}

}  // namespace
}  // namespace vigil
