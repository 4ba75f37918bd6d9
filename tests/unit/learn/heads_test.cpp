// RBF SVM, k-NN and prototype heads on separable toy sets; head-file round trips (head.json +
// head.svm / head.faiss) give the same probabilities; bad head files get clear errors; few-shot
// sampling is deterministic.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "inference/head_file.h"
#include "inference/knn_head.h"
#include "inference/linear_head.h"
#include "inference/prototype_head.h"
#include "inference/rbf_svm_head.h"
#include "learn/head_training.h"
#include "learn/training_data.h"

namespace vigil {
namespace {
namespace fs = std::filesystem;

// Two concentric rings in 2-D (radius 1 and 3, plus noise) with two constant noise dimensions:
// separable, but not linearly.
void Rings(int per_class, uint64_t seed, std::vector<std::vector<float>>* x, std::vector<int>* y) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> angle(0.f, 6.2831853f);
  std::normal_distribution<float> noise(0.f, 0.15f);
  for (int k = 0; k < 2; ++k) {
    for (int i = 0; i < per_class; ++i) {
      const float a = angle(rng), r = (k == 0 ? 1.f : 3.f) + noise(rng);
      x->push_back({r * std::cos(a), r * std::sin(a), noise(rng), 5.f});
      y->push_back(k);
    }
  }
}

// Three classes pointing in different directions (cosine-separable), at varying lengths.
void Directions(int per_class, uint64_t seed, std::vector<std::vector<float>>* x, std::vector<int>* y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.f, 0.1f);
  std::uniform_real_distribution<float> length(0.5f, 4.f);
  const float dirs[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < per_class; ++i) {
      const float l = length(rng);
      x->push_back({l * (dirs[k][0] + noise(rng)), l * (dirs[k][1] + noise(rng)), l * (dirs[k][2] + noise(rng))});
      y->push_back(k);
    }
  }
}

double Accuracy(const Head& h, const std::vector<std::vector<float>>& x, const std::vector<int>& y) {
  int right = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    std::vector<float> p = h.Probabilities(x[i].data()).value();
    double sum = 0;
    for (float v : p) sum += v;
    EXPECT_NEAR(sum, 1.0, 1e-5);
    right += ArgMax(p) == y[i];
  }
  return static_cast<double>(right) / x.size();
}

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("vigil_heads_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void ExpectSameProbabilities(const Head& a, const Head& b, const std::vector<std::vector<float>>& x, double tol) {
  ASSERT_EQ(a.type_name(), b.type_name());
  ASSERT_EQ(a.input_dim(), b.input_dim());
  ASSERT_EQ(a.class_count(), b.class_count());
  for (const auto& r : x) {
    std::vector<float> pa = a.Probabilities(r.data()).value(), pb = b.Probabilities(r.data()).value();
    for (size_t k = 0; k < pa.size(); ++k) EXPECT_NEAR(pa[k], pb[k], tol);
  }
}

TEST(RbfSvmHead, LearnsRingsThatALinearHeadCannot) {
  std::vector<std::vector<float>> x, test_x;
  std::vector<int> y, test_y;
  Rings(40, 1, &x, &y);
  Rings(50, 2, &test_x, &test_y);
  RbfSvmOptions o;
  o.threads = 2;
  std::vector<RbfSvmCvPoint> cv;
  auto head = RbfSvmHead::Train(x, y, 2, o, {}, &cv);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(cv.size(), o.c_grid.size() * o.gamma_scale_grid.size());
  EXPECT_GE(Accuracy(**head, x, y), 0.97);
  EXPECT_GE(Accuracy(**head, test_x, test_y), 0.95);
  EXPECT_GT((*head)->support_vectors(), 0);
  // A linear head on the same rings is near chance.
  LinearHeadOptions lo;
  lo.c_grid = {1};
  auto linear = TrainLinearHead(x, y, 2, lo);
  ASSERT_TRUE(linear.ok());
  EXPECT_LT(Accuracy(linear->head, test_x, test_y), 0.8);
  // A confident inner point: the probability of class 0 is high.
  const float inner[4] = {0.f, 1.f, 0.f, 5.f};
  EXPECT_GT((*head)->Probabilities(inner).value()[0], 0.8f);
}

TEST(RbfSvmHead, HeadFileRoundTrip) {
  std::vector<std::vector<float>> x, test_x;
  std::vector<int> y, test_y;
  Rings(20, 3, &x, &y);
  Rings(20, 4, &test_x, &test_y);
  RbfSvmOptions o;
  o.c_grid = {10};
  o.gamma_scale_grid = {1};
  auto head = RbfSvmHead::Train(x, y, 2, o);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  TempDir dir("svm");
  auto files = SaveHeadFile(**head, dir.path().string());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_TRUE(fs::exists(dir.path() / "head.svm"));
  auto loaded = LoadHeadFile((dir.path() / kHeadFileName).string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  // The trained head is itself a reloaded libsvm file: identical probabilities.
  ExpectSameProbabilities(**head, **loaded, test_x, 1e-7);
  // A truncated model file is an error, not a crash.
  { std::ofstream(dir.path() / "head.svm", std::ios::trunc) << "svm_type c_svc\n"; }
  auto broken = LoadHeadFile((dir.path() / kHeadFileName).string());
  EXPECT_FALSE(broken.ok());
}

TEST(KnnHead, BlobsAndCrossValidatedK) {
  std::vector<std::vector<float>> x, test_x;
  std::vector<int> y, test_y;
  Directions(15, 5, &x, &y);
  Directions(20, 6, &test_x, &test_y);
  KnnOptions o;
  std::vector<KnnCvPoint> cv;
  auto head = KnnHead::Train(x, y, 3, o, {}, &cv);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(cv.size(), o.k_grid.size() * o.metrics.size());
  EXPECT_EQ((*head)->size(), 45);
  EXPECT_EQ(Accuracy(**head, test_x, test_y), 1.0);
  // k = 1: a training vector's own class gets (almost) all the weight.
  o.k_grid = {1};
  o.metrics = {KnnMetric::kL2};
  auto one = KnnHead::Train(x, y, 3, o);
  ASSERT_TRUE(one.ok());
  EXPECT_GT((*one)->Probabilities(x[0].data()).value()[y[0]], 0.999f);
}

TEST(KnnHead, DistanceWeightedVotesByHand) {
  // 1-D-like data on the x axis: class 0 at 0 and 1, class 1 at 3. Query at 1.5, k = 3, L2:
  // distances 1.5, 0.5, 1.5 -> weights 1/1.5, 1/0.5, 1/1.5 (no class weights).
  std::vector<std::vector<float>> x = {{0, 0}, {1, 0}, {3, 0}};
  std::vector<int> y = {0, 0, 1};
  KnnOptions o;
  o.k_grid = {3};
  o.metrics = {KnnMetric::kL2};
  o.balance_classes = false;
  auto head = KnnHead::Train(x, y, 2, o);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  const float q[2] = {1.5f, 0.f};
  std::vector<float> p = (*head)->Probabilities(q).value();
  const double w0 = 1 / (1.5 + 1e-6) + 1 / (0.5 + 1e-6), w1 = 1 / (1.5 + 1e-6);
  EXPECT_NEAR(p[0], w0 / (w0 + w1), 1e-5);
  EXPECT_NEAR(p[1], w1 / (w0 + w1), 1e-5);
}

TEST(KnnHead, IndexSaveAndLoad) {
  std::vector<std::vector<float>> x, test_x;
  std::vector<int> y, test_y;
  Directions(10, 7, &x, &y);
  Directions(10, 8, &test_x, &test_y);
  for (KnnMetric metric : {KnnMetric::kCosine, KnnMetric::kL2}) {
    KnnOptions o;
    o.k_grid = {3};
    o.metrics = {metric};
    o.norm = FeatureNorm::kStandardize;
    auto head = KnnHead::Train(x, y, 3, o);
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    TempDir dir(std::string("knn_") + KnnMetricName(metric));
    auto files = SaveHeadFile(**head, dir.path().string());
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    ASSERT_TRUE(fs::exists(dir.path() / "head.faiss"));
    auto loaded = LoadHeadFile((dir.path() / kHeadFileName).string());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(dynamic_cast<const KnnHead&>(**loaded).size(), 30);
    EXPECT_EQ(dynamic_cast<const KnnHead&>(**loaded).metric(), metric);
    ExpectSameProbabilities(**head, **loaded, test_x, 0);
    // A corrupt index is a clear error.
    { std::ofstream(dir.path() / "head.faiss", std::ios::trunc) << "not an index"; }
    auto broken = LoadHeadFile((dir.path() / kHeadFileName).string());
    ASSERT_FALSE(broken.ok());
    EXPECT_NE(broken.status().message().find("faiss"), std::string::npos) << broken.status().ToString();
  }
}

TEST(PrototypeHead, CosineToClassMeansByHand) {
  // Class 0: (1,0), (3,0) -> prototype (1,0); class 1: (0,2) -> prototype (0,1). One class has a
  // single item: the scale stays fixed.
  std::vector<std::vector<float>> x = {{1, 0}, {3, 0}, {0, 2}};
  std::vector<int> y = {0, 0, 1};
  PrototypeOptions o;
  o.fixed_scale = 5;
  auto head = PrototypeHead::Train(x, y, 2, o);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_FALSE((*head)->scale_fitted());
  const float q[2] = {1, 1};  // cos 1/sqrt(2) to both
  std::vector<float> p = (*head)->Probabilities(q).value();
  EXPECT_NEAR(p[0], 0.5, 1e-6);
  const float q2[2] = {2, 1};  // cos 2/sqrt(5) and 1/sqrt(5)
  p = (*head)->Probabilities(q2).value();
  const double l0 = 5 * 2 / std::sqrt(5.0), l1 = 5 * 1 / std::sqrt(5.0);
  EXPECT_NEAR(p[0], std::exp(l0) / (std::exp(l0) + std::exp(l1)), 1e-6);
  // Scaled prototypes are the Gemm weights: scale * unit rows.
  std::vector<float> w = (*head)->ScaledPrototypes();
  EXPECT_NEAR(w[0], 5, 1e-6);
  EXPECT_NEAR(w[1], 0, 1e-6);
  EXPECT_NEAR(w[3], 5, 1e-6);
}

TEST(PrototypeHead, FitsScaleLeaveOneOutAndRoundTrips) {
  std::vector<std::vector<float>> x, test_x;
  std::vector<int> y, test_y;
  Directions(5, 9, &x, &y);
  Directions(20, 10, &test_x, &test_y);
  auto head = PrototypeHead::Train(x, y, 3, PrototypeOptions());
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_TRUE((*head)->scale_fitted());
  EXPECT_GT((*head)->scale(), 1.f);  // well separated: confident
  EXPECT_EQ(Accuracy(**head, test_x, test_y), 1.0);
  // Scale-invariant input: x and 10 x give the same probabilities.
  std::vector<float> big = test_x[0];
  for (float& v : big) v *= 10;
  EXPECT_NEAR((*head)->Probabilities(big.data()).value()[test_y[0]], (*head)->Probabilities(test_x[0].data()).value()[test_y[0]], 1e-6);
  TempDir dir("proto");
  ASSERT_TRUE(SaveHeadFile(**head, dir.path().string()).ok());
  auto loaded = LoadHeadFile((dir.path() / kHeadFileName).string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameProbabilities(**head, **loaded, test_x, 1e-7);
}

TEST(HeadFile, LinearHeadRoundTrip) {
  std::vector<std::vector<float>> x, y_unused;
  std::vector<int> y;
  Directions(10, 11, &x, &y);
  LinearHeadOptions o;
  o.c_grid = {1};
  o.norm = FeatureNorm::kStandardize;
  auto fit = TrainLinearHead(x, y, 3, o);
  ASSERT_TRUE(fit.ok());
  LinearHead head = fit->head;
  head.temperature = 1.3f;
  TempDir dir("linear");
  ASSERT_TRUE(SaveHeadFile(head, dir.path().string()).ok());
  auto loaded = LoadHeadFile((dir.path() / kHeadFileName).string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectSameProbabilities(head, **loaded, x, 1e-7);
}

TEST(HeadFile, BadFilesGetClearErrors) {
  TempDir dir("bad");
  const std::string path = (dir.path() / kHeadFileName).string();
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kNotFound);
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::trunc) << text; };
  write("{not json");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kInvalidArgument);
  write(R"({"format": "something-else", "format_version": 1, "type": "knn", "dim": 2, "classes": 2})");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kInvalidArgument);
  write(R"({"format": "vigil-head", "format_version": 99, "type": "knn", "dim": 2, "classes": 2})");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kUnsupported);
  write(R"({"format": "vigil-head", "format_version": 1, "type": "forest", "dim": 2, "classes": 2})");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kUnsupported);
  write(R"({"format": "vigil-head", "format_version": 1, "type": "prototype", "dim": 2, "classes": 2,
            "prototypes": [1, 0, 0], "scale": 10})");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kInvalidArgument);
  write(R"({"format": "vigil-head", "format_version": 1, "type": "knn", "dim": 2, "classes": 2,
            "normalization": {"norm": "none"}, "metric": "l2", "k": 1, "labels": [0, 1],
            "class_weights": [1, 1], "index_file": "../../etc/passwd"})");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kInvalidArgument);
  write(R"({"format": "vigil-head", "format_version": 1, "type": "rbf-svm", "dim": 2, "classes": 2,
            "normalization": {"norm": "none"}, "model_file": "missing.svm"})");
  EXPECT_EQ(LoadHeadFile(path).status().code(), StatusCode::kNotFound);
}

TEST(FewShot, SamplingIsDeterministicAndPerClass) {
  Dataset d;
  d.classes = {"a", "b", "c"};
  for (int k = 0; k < 3; ++k) {
    const int n = k == 2 ? 3 : 20;  // class c has only 3 items
    for (int i = 0; i < n; ++i) d.items.push_back({d.classes[k] + std::to_string(i), k});
  }
  auto paths = [](const Dataset& s) {
    std::vector<std::string> p;
    for (const auto& item : s.items) p.push_back(item.path);
    return p;
  };
  const Dataset a = SampleShots(d, 5, 42), b = SampleShots(d, 5, 42), c = SampleShots(d, 5, 43);
  EXPECT_EQ(paths(a), paths(b));
  EXPECT_NE(paths(a), paths(c));
  std::vector<int> counts(3, 0);
  for (const auto& item : a.items) counts[item.label]++;
  EXPECT_EQ(counts, (std::vector<int>{5, 5, 3}));
  // Order kept (sorted as in the dataset); 0 shots = everything.
  EXPECT_TRUE(std::is_sorted(a.items.begin(), a.items.end(),
                             [](const LabelledImage& l, const LabelledImage& r) { return l.label < r.label; }));
  EXPECT_EQ(SampleShots(d, 0, 1).items.size(), d.items.size());
  // 1 shot: one per class.
  EXPECT_EQ(SampleShots(d, 1, 7).items.size(), 3u);
}

}  // namespace
}  // namespace vigil
