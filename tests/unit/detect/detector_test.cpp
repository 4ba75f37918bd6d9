// Detector on the real NanoDet and CenterNet (installed into a temporary repository): boxes in
// image pixels, batch == single, concurrent == sequential, a DCT-scaled decode maps back to full size,
// option and model errors.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <atomic>
#include <filesystem>
#include <limits>
#include <thread>

#include "detector_fixture.h"
#include "vigil/detector.h"
#include "vigil/model_import.h"

namespace vigil {
namespace {
using testing_detect::DetectorRepository;
using testing_detect::SamplesDir;

std::unique_ptr<Detector> MakeDetector(const std::string& model, DetectorOptions options = {}) {
  options.model.repository = DetectorRepository();
  options.model.name = model;
  auto d = Detector::Create(options);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

Image Read(const std::string& name) {
  DecodeOptions options;
  auto image = ReadImageFile(SamplesDir() + "/" + name, options);
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? *image : Image{};
}

void ExpectSame(const DetectionResult& a, const DetectionResult& b, float tolerance) {
  ASSERT_EQ(a.detections.size(), b.detections.size());
  for (size_t i = 0; i < a.detections.size(); ++i) {
    EXPECT_EQ(a.detections[i].class_id, b.detections[i].class_id);
    EXPECT_NEAR(a.detections[i].score, b.detections[i].score, tolerance);
    // All four coordinates (pixels: a score tolerance of 1e-4 allows 0.1 px).
    EXPECT_NEAR(a.detections[i].box.x_min, b.detections[i].box.x_min, tolerance * 1000);
    EXPECT_NEAR(a.detections[i].box.y_min, b.detections[i].box.y_min, tolerance * 1000);
    EXPECT_NEAR(a.detections[i].box.x_max, b.detections[i].box.x_max, tolerance * 1000);
    EXPECT_NEAR(a.detections[i].box.y_max, b.detections[i].box.y_max, tolerance * 1000);
  }
}

TEST(Detector, NanoDetFindsTheCatInImagePixels) {
  auto detector = MakeDetector("nanodet_coco");
  ASSERT_TRUE(detector);
  Image chelsea = Read("chelsea.png");
  auto r = detector->Detect(chelsea);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->model, "nanodet_coco");
  EXPECT_EQ(r->image_width, chelsea.width);
  ASSERT_FALSE(r->tags.empty());
  EXPECT_EQ(r->tags[0].label, "cat");
  for (const Detection& d : r->detections) {
    EXPECT_GE(d.score, detector->manifest().detection.score_threshold);
    EXPECT_GE(d.box.x_min, 0);
    EXPECT_GE(d.box.y_min, 0);
    EXPECT_LE(d.box.x_max, chelsea.width);
    EXPECT_LE(d.box.y_max, chelsea.height);
    EXPECT_LT(d.box.x_min, d.box.x_max);
    EXPECT_LT(d.box.y_min, d.box.y_max);
  }
  // The cat fills most of the photo (451x300): its box is large.
  const Detection& cat = r->detections[0];
  EXPECT_EQ(cat.label, "cat");
  EXPECT_GT(cat.box.width() * cat.box.height(), 0.3f * chelsea.width * chelsea.height);
  // Sorted by score.
  for (size_t i = 1; i < r->detections.size(); ++i) {
    EXPECT_GE(r->detections[i - 1].score, r->detections[i].score);
  }
}

TEST(Detector, BatchAndConcurrentCallsMatchSingleCalls) {
  // max_batch 1 (the imported graph's fixed batch): DetectBatch runs 3 inference calls.
  auto detector = MakeDetector("nanodet_coco");
  ASSERT_TRUE(detector);
  std::vector<Image> images = {Read("astronaut.png"), Read("coffee.png"), Read("messi5.jpg")};
  std::vector<DetectionResult> single;
  for (const Image& im : images) {
    auto r = detector->Detect(im);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    single.push_back(*r);
  }
  auto batch = detector->DetectBatch(images);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->size(), 3u);
  for (size_t i = 0; i < 3; ++i) ExpectSame((*batch)[i], single[i], 1e-4f);

  std::vector<DetectionResult> threaded(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      auto r = detector->Detect(images[i]);
      if (r.ok()) threaded[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < 3; ++i) ExpectSame(threaded[i], single[i], 1e-6f);
}

TEST(Detector, ScaledDecodeReportsBoxesInFullResolutionPixels) {
  auto detector = MakeDetector("nanodet_coco");
  ASSERT_TRUE(detector);
  // messi5.jpg enlarged 3x (1644x1026) as a JPEG: DetectBytes decodes it DCT-scaled (the model
  // needs only 416x416) but must report boxes in the 1644x1026 frame.
  cv::Mat small = cv::imread(SamplesDir() + "/messi5.jpg", cv::IMREAD_COLOR);
  ASSERT_FALSE(small.empty());
  cv::Mat big;
  cv::resize(small, big, cv::Size(small.cols * 3, small.rows * 3), 0, 0, cv::INTER_CUBIC);
  std::vector<uint8_t> jpeg;
  ASSERT_TRUE(cv::imencode(".jpg", big, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}));
  DecodeInfo info;
  auto scaled = DecodeImage(jpeg.data(), jpeg.size(), detector->decode_options(), &info);
  ASSERT_TRUE(scaled.ok());
  ASSERT_LT(scaled->width, big.cols) << "the test needs a DCT-scaled decode";

  auto from_bytes = detector->DetectBytes(jpeg.data(), jpeg.size());
  ASSERT_TRUE(from_bytes.ok()) << from_bytes.status().ToString();
  EXPECT_EQ(from_bytes->image_width, big.cols);
  EXPECT_EQ(from_bytes->image_height, big.rows);
  auto direct = detector->Detect(Read("messi5.jpg"));
  ASSERT_TRUE(direct.ok());
  ASSERT_FALSE(direct->detections.empty());
  ASSERT_FALSE(from_bytes->detections.empty());
  EXPECT_EQ(from_bytes->tags[0].label, direct->tags[0].label);
  // The best box, scaled by 3, agrees with the original's within 2 % of the image size.
  const Box& a = from_bytes->detections[0].box;
  const Box& b = direct->detections[0].box;
  EXPECT_NEAR(a.x_min, 3 * b.x_min, 0.02f * big.cols);
  EXPECT_NEAR(a.x_max, 3 * b.x_max, 0.02f * big.cols);
  EXPECT_NEAR(a.y_min, 3 * b.y_min, 0.02f * big.rows);
  EXPECT_NEAR(a.y_max, 3 * b.y_max, 0.02f * big.rows);
  for (const Detection& d : from_bytes->detections) {
    EXPECT_LE(d.box.x_max, big.cols);
    EXPECT_LE(d.box.y_max, big.rows);
  }
}

TEST(Detector, OptionsOverrideTheManifest) {
  DetectorOptions strict;
  strict.thresholds.score_threshold = 0.99f;
  auto none = MakeDetector("nanodet_coco", strict);
  ASSERT_TRUE(none);
  EXPECT_FLOAT_EQ(none->manifest().detection.score_threshold, 0.99f);
  auto r = none->Detect(Read("astronaut.png"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->detections.empty());
  EXPECT_TRUE(r->tags.empty());

  DetectorOptions loose;
  loose.thresholds.score_threshold = 0.05f;
  loose.thresholds.max_detections = 3;
  auto three = MakeDetector("nanodet_coco", loose);
  ASSERT_TRUE(three);
  auto r3 = three->Detect(Read("fruits.jpg"));
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->detections.size(), 3u);
}

TEST(Detector, PerCallParamsEqualOptionsAndLeaveTheSharedDetectorUnchanged) {
  auto detector = MakeDetector("nanodet_coco");
  ASSERT_TRUE(detector);
  const Image fruits = Read("fruits.jpg"), messi = Read("messi5.jpg");
  auto before = detector->Detect(messi);
  ASSERT_TRUE(before.ok());

  // Per call == the same values as DetectorOptions of a detector of its own.
  DetectionThresholds loose;
  loose.score_threshold = 0.05f;
  loose.max_detections = 3;
  DetectorOptions loose_options;
  loose_options.thresholds.score_threshold = 0.05f;
  loose_options.thresholds.max_detections = 3;
  auto own = MakeDetector("nanodet_coco", loose_options);
  ASSERT_TRUE(own);
  auto per_call = detector->Detect(fruits, loose);
  auto by_options = own->Detect(fruits);
  ASSERT_TRUE(per_call.ok() && by_options.ok());
  EXPECT_EQ(per_call->detections.size(), 3u);
  ExpectSame(*per_call, *by_options, 0);

  // A higher threshold keeps exactly the boxes scoring at least it (a box is only ever suppressed
  // by a better one, which is also above the threshold).
  DetectionThresholds high;
  high.score_threshold = 0.7f;
  auto strict = detector->Detect(messi, high);
  ASSERT_TRUE(strict.ok());
  DetectionResult filtered = *before;
  filtered.detections.clear();
  for (const Detection& d : before->detections) {
    if (d.score >= 0.7f) filtered.detections.push_back(d);
  }
  ASSERT_FALSE(filtered.detections.empty());
  ASSERT_LT(filtered.detections.size(), before->detections.size());
  ExpectSame(*strict, filtered, 0);
  // A lower IoU threshold suppresses more of the overlapping low-score boxes.
  DetectionThresholds many{0.1f, -1, 1000}, tight_nms{0.1f, 0.05f, 1000};
  auto wide = detector->Detect(messi, many);
  auto nms = detector->Detect(messi, tight_nms);
  ASSERT_TRUE(wide.ok() && nms.ok());
  EXPECT_GT(wide->detections.size(), before->detections.size());
  EXPECT_LT(nms->detections.size(), wide->detections.size());

  // Concurrent calls with different settings do not see each other's; the detector is unchanged.
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        auto r = t % 2 ? detector->Detect(messi, high) : detector->Detect(messi);
        const size_t want = t % 2 ? filtered.detections.size() : before->detections.size();
        if (!r.ok() || r->detections.size() != want) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_FLOAT_EQ(detector->manifest().detection.score_threshold, 0.35f);
  auto after = detector->Detect(messi);
  ASSERT_TRUE(after.ok());
  ExpectSame(*after, *before, 0);

  // The byte and file paths take the same settings.
  auto from_file = detector->DetectFile(SamplesDir() + "/messi5.jpg", high);
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->detections.size(), filtered.detections.size());
}

TEST(Detector, OutOfRangeParamsAreRefusedNamingTheField) {
  auto detector = MakeDetector("nanodet_coco");
  ASSERT_TRUE(detector);
  const Image image = Read("fruits.jpg");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<std::pair<DetectionThresholds, std::string>> bad = {
      {{1.5f, -1, -1}, "score_threshold must be in [0, 1], got 1.5"},
      {{nan, -1, -1}, "score_threshold"},
      {{-1, 0.0f, -1}, "iou_threshold must be in (0, 1], got 0"},
      {{-1, 1.01f, -1}, "iou_threshold"},
      {{-1, nan, -1}, "iou_threshold"},
      {{-1, -1, 0}, "max_detections must be in 1..10000, got 0"},
      {{-1, -1, 10001}, "max_detections"},
  };
  for (const auto& [params, message] : bad) {
    Status s = ValidateDetectionThresholds(params);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << message;
    EXPECT_NE(s.message().find(message), std::string::npos) << s.message();
    EXPECT_EQ(detector->Detect(image, params).status().message(), s.message());
    EXPECT_EQ(detector->DetectBatch({image}, params).status().message(), s.message());
    const uint8_t junk[] = {1, 2, 3};
    EXPECT_EQ(detector->DetectBytes(junk, sizeof junk, params).status().message(), s.message())
        << "checked before the decode";
  }
  EXPECT_TRUE(ValidateDetectionThresholds({0, 1, 1}).ok());
  EXPECT_TRUE(ValidateDetectionThresholds({1, 0.001f, 10000}).ok());
  EXPECT_TRUE(ValidateDetectionThresholds({}).ok());
  // DetectorOptions go through the same check, with the same message.
  DetectorOptions options;
  options.model.repository = DetectorRepository();
  options.model.name = "nanodet_coco";
  options.thresholds.score_threshold = 1.5f;
  EXPECT_EQ(Detector::Create(options).status().message(), "score_threshold must be in [0, 1], got 1.5");
}

TEST(Detector, BadOptionsModelsAndImagesAreClearErrors) {
  DetectorOptions options;
  options.model.repository = DetectorRepository();
  options.model.name = "no_such_model";
  EXPECT_EQ(Detector::Create(options).status().code(), StatusCode::kNotFound);
  options.model.name = "nanodet_coco";
  options.model.threads_per_session = 0;
  EXPECT_EQ(Detector::Create(options).status().code(), StatusCode::kInvalidArgument);
  options.model.threads_per_session = 1;
  options.thresholds.iou_threshold = 1.5f;
  EXPECT_EQ(Detector::Create(options).status().code(), StatusCode::kInvalidArgument);
  options.thresholds.iou_threshold = -1;
  options.thresholds.max_detections = 0;  // 0 is outside the manifest's 1..10000
  EXPECT_FALSE(Detector::Create(options).ok());

  auto detector = MakeDetector("nanodet_coco");
  ASSERT_TRUE(detector);
  EXPECT_EQ(detector->Detect(Image{}).status().code(), StatusCode::kInvalidArgument);
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_FALSE(detector->DetectBytes(junk, sizeof(junk)).ok());
  EXPECT_FALSE(detector->DetectFile(SamplesDir() + "/does_not_exist.jpg").ok());
}

TEST(Detector, ManifestThatDoesNotFitTheGraphIsAClearError) {
  using testing_detect::HumanModelsDir;
  const std::string root = DetectorRepository() + "-bad";
  auto text = ReadFileBytes(std::string(VIGIL_SOURCE_DIR) + "/scripts/manifests/nanodet_coco.json", 1 << 20);
  ASSERT_TRUE(text.ok());
  auto manifest = ParseManifest(std::string(text->begin(), text->end()));
  ASSERT_TRUE(manifest.ok());
  // reg_max 7 (8 bins) against the graph's 11 bins: installs, but Detect names the output.
  TfjsGraphInstallRequest request;
  request.model_json = HumanModelsDir() + "/nanodet.json";
  request.manifest = *manifest;
  request.manifest.name = "nanodet_wrong_bins";
  request.manifest.detection.reg_max = 7;
  ASSERT_TRUE(InstallTfjsGraphModel(root, request).ok());
  DetectorOptions options;
  options.model.repository = root;
  options.model.name = "nanodet_wrong_bins";
  auto detector = Detector::Create(options);
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  auto r = (*detector)->Detect(Read("chelsea.png"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Identity_3"), std::string::npos) << r.status().ToString();
  // 52x52 cells x 4 x 11 bins in the graph; the manifest implies 4 x 8 bins.
  EXPECT_NE(r.status().message().find("118976"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("86528"), std::string::npos) << r.status().ToString();
  // An output the graph does not have: the install fails, naming it.
  request.manifest.name = "nanodet_wrong_output";
  request.manifest.detection = manifest->detection;
  request.manifest.detection.box_outputs[0] = "NoSuchNode";
  auto bad = InstallTfjsGraphModel(root, request);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("NoSuchNode"), std::string::npos) << bad.status().ToString();
  // A detection manifest cannot be installed as a classifier-style graph import.
  request.manifest.task = "classification";
  EXPECT_EQ(InstallTfjsGraphModel(root, request).status().code(), StatusCode::kInvalidArgument);
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
}

TEST(Detector, CenterNetDecodesInCpp) {
  auto detector = MakeDetector("centernet_coco");
  ASSERT_TRUE(detector);
  auto r = detector->Detect(Read("motorcycle_left.png"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->tags.empty());
  EXPECT_EQ(r->tags[0].label, "motorcycle");
}

}  // namespace
}  // namespace vigil
