// The video.tag job handler on a real model and a generated clip: options are checked before a job
// is queued (sampler, models, unknown keys), Run tags the clip through VideoTagger with progress,
// cancellation stops it, and a file of random bytes fails with a clear error that does not expose
// the server's path. Given a ModelProvider, the cached taggers run its classifier (one instance for
// every option set) and the vigil_video_tagger_models gauge says so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "unit/video/fixed_provider.h"
#include "vigil/video_tag_job.h"

namespace vigil {
namespace {

std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}
std::string ModelsDir() { return Env("VIGIL_MODELS", std::string(VIGIL_SOURCE_DIR) + "/models"); }

class VideoTagJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string((std::filesystem::temp_directory_path() / ("vigil_videojob_" + std::to_string(::getpid()))).string());
    std::filesystem::create_directories(*dir_);
    const std::string clip = *dir_ + "/clip.mp4";
    const std::string cmd = "ffmpeg -nostdin -hide_banner -v error -y -f lavfi -i testsrc=size=160x120:rate=10:duration=3 "
                            "-c:v libx264 -g 10 -pix_fmt yuv420p '" + clip + "' 2>/dev/null";
    if (std::system(cmd.c_str()) == 0) clip_ = new std::string(clip);
    std::ofstream junk(*dir_ + "/junk.mp4", std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 200000; ++i) junk.put(char(rng()));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete clip_;
  }
  std::unique_ptr<JobHandler> Handler() {
    VideoTagJobOptions options;
    options.model_repository = ModelsDir();
    auto handler = CreateVideoTagJobHandler(options);
    EXPECT_TRUE(handler.ok()) << handler.status().ToString();
    return handler.ok() ? std::move(*handler) : nullptr;
  }
  static Job MakeJob(const std::string& input, const std::string& options) {
    Job job;
    job.id = "0123456789abcdef0123456789abcdef";
    job.kind = kVideoTagJobKind;
    job.input = input;
    job.options_json = options;
    return job;
  }
  static std::string* dir_;
  static std::string* clip_;
};
std::string* VideoTagJobTest::dir_ = nullptr;
std::string* VideoTagJobTest::clip_ = nullptr;

TEST_F(VideoTagJobTest, ValidatesOptionsBeforeQueueing) {
  auto handler = Handler();
  ASSERT_TRUE(handler);
  EXPECT_TRUE(handler->Validate("x.mp4", "{}").ok());
  EXPECT_TRUE(handler->Validate("x.mp4", R"({"sampler":"interval:0.5","models":["nsfw_mobilenet_v2"],"max_frames":4,"threshold":0.3,"frames":true})").ok());
  EXPECT_EQ(handler->Validate("x.mp4", R"({"sampler":"sometimes"})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(handler->Validate("x.mp4", R"({"models":["no_such_model"]})").code(), StatusCode::kNotFound);
  EXPECT_EQ(handler->Validate("x.mp4", R"({"colour":"red"})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(handler->Validate("x.mp4", R"({"max_frames":-1})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(handler->Validate("x.mp4", R"({"threshold":2})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(handler->Validate("x.mp4", "[1,2]").code(), StatusCode::kInvalidArgument);
  // Sampling limits (issue 19): these pinned a core forever / for 10 s once queued.
  for (const char* tiny : {R"({"sampler":"interval:1e-300"})", R"({"sampler":"interval:1e-9"})"}) {
    const Status s = handler->Validate("x.mp4", tiny);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << tiny;
    EXPECT_NE(s.message().find("minimum interval"), std::string::npos) << s.ToString();
  }
  VideoTagJobOptions bad;
  bad.default_sampler = "never";
  EXPECT_EQ(CreateVideoTagJobHandler(bad).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(VideoTagJobTest, TagsAClipWithProgress) {
  ASSERT_NE(clip_, nullptr) << "ffmpeg could not generate the fixture";
  auto handler = Handler();
  ASSERT_TRUE(handler);
  std::vector<double> progress;
  std::atomic<bool> cancel{false};
  auto result = handler->Run(MakeJob(*clip_, R"({"sampler":"interval:0.5","frames":true})"),
                             [&](double p) { progress.push_back(p); }, cancel);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const nlohmann::json j = nlohmann::json::parse(*result);
  const std::string text = j.dump();
  EXPECT_NE(text.find("nsfw_mobilenet_v2"), std::string::npos) << text.substr(0, 500);
  EXPECT_NE(text.find("Neutral"), std::string::npos);
  EXPECT_EQ(text.find(*dir_), std::string::npos) << "the result must not carry the server path";
  ASSERT_FALSE(progress.empty());
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GE(progress[i], progress[i - 1]);
}

TEST_F(VideoTagJobTest, CancelledBeforeStartStopsAtOnce) {
  ASSERT_NE(clip_, nullptr);
  auto handler = Handler();
  ASSERT_TRUE(handler);
  std::atomic<bool> cancel{true};
  auto result = handler->Run(MakeJob(*clip_, R"({"sampler":"all"})"), [](double) {}, cancel);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
}

TEST_F(VideoTagJobTest, RandomBytesFailWithAClearErrorWithoutThePath) {
  auto handler = Handler();
  ASSERT_TRUE(handler);
  std::atomic<bool> cancel{false};
  auto result = handler->Run(MakeJob(*dir_ + "/junk.mp4", "{}"), [](double) {}, cancel);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().code() == StatusCode::kDataLoss || result.status().code() == StatusCode::kUnsupported)
      << result.status().ToString();
  EXPECT_EQ(result.status().message().find(*dir_), std::string::npos) << result.status().message();
  EXPECT_GT(result.status().message().size(), 10u);
}

TEST_F(VideoTagJobTest, CachedTaggersShareTheProvidersClassifier) {
  ASSERT_NE(clip_, nullptr);
  ClassifierOptions c;
  c.model.repository = ModelsDir();
  auto classifier = ImageClassifier::Create(c);
  ASSERT_TRUE(classifier.ok()) << classifier.status().ToString();
  testing::FixedProvider provider;
  provider.classifier = std::move(*classifier);
  for (const bool share : {true, false}) {
    MetricsRegistry metrics;
    VideoTagJobOptions options;
    options.model_repository = ModelsDir();
    options.models = share ? &provider : nullptr;
    options.metrics = &metrics;
    auto handler = CreateVideoTagJobHandler(options);
    ASSERT_TRUE(handler.ok()) << handler.status().ToString();
    std::atomic<bool> cancel{false};
    // Two option sets: two cached taggers.
    for (const char* job_options : {R"({"sampler":"interval:0.5"})", R"({"sampler":"keyframes"})"}) {
      auto result = (*handler)->Run(MakeJob(*clip_, job_options), [](double) {}, cancel);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
      EXPECT_NE(result->find("Neutral"), std::string::npos);
    }
    MetricFamily& gauge = metrics.Gauge("vigil_video_tagger_models", "", {"source"});
    EXPECT_EQ(gauge.Value({"shared"}), share ? 2 : 0);
    EXPECT_EQ(gauge.Value({"loaded"}), share ? 0 : 2);
    // The provider's reference plus one per cached tagger.
    EXPECT_EQ(provider.classifier.use_count(), share ? 3 : 1);
  }
  EXPECT_EQ(provider.classifier.use_count(), 1) << "the handlers are gone, so are their taggers";
}

}  // namespace
}  // namespace vigil
