// Two versions of one model loaded side by side (A/B): every front end looks models up by (name,
// version), so each version is served as itself. The repository is a temp copy of
// nsfw_mobilenet_v2/1 as versions 1 and 2; version 2's manifest names the same outputs in upper
// case, so an answer shows which version produced it. Checked: the service's one Submit, its
// ModelProvider lookup, a video tagger running the service's instances, the analyzer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "unit/video/video_fixtures.h"
#include "vigil/analyzer.h"
#include "vigil/model_repository.h"
#include "vigil/service.h"
#include "vigil/video_tagger.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }
std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
std::string Upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class ModelVersionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = fs::temp_directory_path() / ("vigil_versions_" + std::to_string(::getpid()));
    fs::remove_all(repo_);
    auto source = ModelRepository::Open(ModelsDir());
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    auto entry = (*source)->Find("nsfw_mobilenet_v2", 0);
    ASSERT_TRUE(entry.ok()) << entry.status().ToString();
    auto repo = ModelRepository::OpenOrCreate(repo_.string());
    ASSERT_TRUE(repo.ok()) << repo.status().ToString();
    ModelManifest m = entry->manifest;
    m.version = 1;
    ASSERT_TRUE((*repo)->Add(m, entry->onnx_path).ok());
    m.version = 2;
    for (std::string& label : m.labels) label = Upper(label);
    ASSERT_TRUE((*repo)->Add(m, entry->onnx_path).ok());
  }
  void TearDown() override { fs::remove_all(repo_); }

  fs::path repo_;
};

TEST_F(ModelVersionsTest, TheServiceServesEachVersionAsItself) {
  ServiceOptions o;
  o.common.repository = repo_.string();  // every model: both versions
  o.workers = 1;
  auto service = ClassificationService::Create(o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ASSERT_EQ((*service)->Models().size(), 2u);

  const std::vector<uint8_t> bytes =
      ReadAll(Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") + "/images/samples/fruits.jpg");
  ASSERT_FALSE(bytes.empty()) << "run scripts/fetch-test-data";
  auto classify = [&](int version) {
    ClassifyRequest r;
    r.model = "nsfw_mobilenet_v2";
    r.version = version;
    r.image_bytes = bytes;
    return (*service)->Submit(std::move(r)).get();
  };
  Result<ModelOutput> v1 = classify(1), v2 = classify(2), latest = classify(0);
  ASSERT_TRUE(v1.ok() && v2.ok() && latest.ok()) << v1.status().ToString() << v2.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(latest->version, 2);
  ASSERT_EQ(v1->labels.size(), v2->labels.size());
  for (size_t i = 0; i < v1->labels.size(); ++i) {
    EXPECT_EQ(Upper(v1->labels[i].label), v2->labels[i].label);
    EXPECT_NE(v1->labels[i].label, v2->labels[i].label);  // lower case in version 1
    EXPECT_EQ(v1->labels[i].score, v2->labels[i].score);  // the same weights
    EXPECT_EQ(latest->labels[i].label, v2->labels[i].label);
  }
  EXPECT_EQ(classify(3).status().code(), StatusCode::kNotFound);

  // The provider side: (name, version) lookups.
  std::shared_ptr<const ScoringModel> one = (*service)->FindModel("nsfw_mobilenet_v2", 1);
  std::shared_ptr<const ScoringModel> two = (*service)->FindModel("nsfw_mobilenet_v2", 2);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(one->version(), 1);
  EXPECT_EQ(two->version(), 2);
  EXPECT_EQ(two->labels()[0], Upper(one->labels()[0]));
  EXPECT_EQ((*service)->FindModel("nsfw_mobilenet_v2", 0), two);
  EXPECT_FALSE((*service)->FindModel("nsfw_mobilenet_v2", 3));

  // A video tagger given the service runs the service's instance of the version it names.
  const std::string clip = testing::VideosDir() + "/vtest.avi";
  ASSERT_TRUE(fs::exists(clip)) << clip << " missing: run scripts/fetch-test-data";
  VideoTaggerOptions t;
  t.common.repository = repo_.string();
  t.models = {"nsfw_mobilenet_v2:1", "nsfw_mobilenet_v2:2"};
  t.sampler = "interval:20";
  auto tagger = VideoTagger::Create(t, service->get());
  ASSERT_TRUE(tagger.ok()) << tagger.status().ToString();
  ASSERT_EQ((*tagger)->models().size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ((*tagger)->models()[i].version, i + 1);
    EXPECT_TRUE((*tagger)->models()[i].shared);
  }
  auto tags = (*tagger)->Tag(clip);
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  ASSERT_EQ(tags->models.size(), 2u);
  EXPECT_EQ(tags->models[0].version, 1);
  EXPECT_EQ(tags->models[1].version, 2);
  EXPECT_EQ(Upper(tags->models[0].labels[0].label), tags->models[1].labels[0].label);
  EXPECT_NE(tags->models[0].labels[0].label, tags->models[1].labels[0].label);
}

TEST_F(ModelVersionsTest, TheAnalyzerRunsBothVersionsOnOneDecode) {
  AnalyzerOptions o;
  o.common.repository = repo_.string();
  o.models = {"nsfw_mobilenet_v2:2", "nsfw_mobilenet_v2:1"};
  auto analyzer = Analyzer::Create(o);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  auto a = (*analyzer)->AnalyzeFile(Env("VIGIL_TEST_DATA", std::string(VIGIL_SOURCE_DIR) + "/data") +
                                    "/images/samples/baboon.jpg");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->outputs.size(), 2u);
  EXPECT_EQ(a->outputs[0].version, 2);
  EXPECT_EQ(a->outputs[1].version, 1);
  EXPECT_EQ(a->outputs[0].labels[0].label, Upper(a->outputs[1].labels[0].label));
  EXPECT_NE(a->outputs[0].labels[0].label, a->outputs[1].labels[0].label);
}

}  // namespace
}  // namespace vigil
