// Real-model checks, skipped unless VIGIL_RUNTIME_MODEL names an ONNX file (e.g. the imported
// nsfwjs MobileNetV2 or InceptionV3): XNNPACK and OpenCV agree within 1e-4 at batch 1 and 3, and
// (with VIGIL_RUNTIME_BENCH=1) XNNPACK img/s at 1/2 threads, batch 1/16 (median of 5 runs;
// VIGIL_RUNTIME_BENCH_THREADS / _BATCH pick one configuration, _OPENCV adds the OpenCV backend, _SPIN clears
// SessionOptions.yield_workers).
//
//   VIGIL_RUNTIME_MODEL=model.onnx VIGIL_RUNTIME_BENCH=1 unit_runtime --gtest_filter='RealModel.*'
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>

#include "runtime/backend.h"

namespace vigil {
namespace {

const char* ModelPath() { return std::getenv("VIGIL_RUNTIME_MODEL"); }

Tensor RandomInput(const std::vector<int64_t>& shape_nhwc, int batch, uint32_t seed) {
  Tensor t;
  t.shape = shape_nhwc;
  t.shape[0] = batch;
  t.data.resize(Tensor::NumElements(t.shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& v : t.data) v = dist(rng);
  return t;
}

std::vector<int64_t> InputShape(const std::string& path) {
  // nsfwjs models: NHWC square input; read H from the file name convention is fragile, so probe.
  for (int64_t size : {224, 299, 256, 128}) {
    auto b = CreateXnnpackBackend(path);
    if (!b.ok()) return {};
    auto s = (*b)->CreateSession({});
    std::vector<Tensor> out;
    Tensor t = RandomInput({1, size, size, 3}, 1, 1);
    if ((*s)->Run(t, &out).ok()) return {1, size, size, 3};
  }
  return {};
}

TEST(RealModel, XnnpackMatchesOpenCv) {
  if (!ModelPath()) GTEST_SKIP() << "VIGIL_RUNTIME_MODEL not set";
  auto xnn = CreateXnnpackBackend(ModelPath());
  ASSERT_TRUE(xnn.ok()) << xnn.status().ToString();
  auto ocv = CreateOpenCvBackend(ModelPath());
  ASSERT_TRUE(ocv.ok()) << ocv.status().ToString();
  const std::vector<int64_t> shape = InputShape(ModelPath());
  ASSERT_FALSE(shape.empty());
  SessionOptions options;
  options.max_batch = 3;
  auto xs = (*xnn)->CreateSession(options);
  auto cs = (*ocv)->CreateSession(options);
  ASSERT_TRUE(xs.ok() && cs.ok());
  for (int batch : {1, 3}) {
    Tensor in = RandomInput(shape, batch, 7);
    std::vector<Tensor> a, b;
    ASSERT_TRUE((*xs)->Run(in, &a).ok());
    Status st = (*cs)->Run(in, &b);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].shape, b[i].shape) << a[i].name;
      float worst = 0;
      for (size_t k = 0; k < a[i].data.size(); ++k) {
        worst = std::max(worst, std::fabs(a[i].data[k] - b[i].data[k]) / (1.0f + std::fabs(b[i].data[k])));
      }
      EXPECT_LE(worst, 1e-4f) << a[i].name << " batch " << batch;
      std::printf("%s batch %d: max rel diff xnnpack vs opencv %.2g\n", a[i].name.c_str(), batch, worst);
    }
  }
}

TEST(RealModel, XnnpackThroughput) {
  if (!ModelPath() || !std::getenv("VIGIL_RUNTIME_BENCH")) GTEST_SKIP() << "VIGIL_RUNTIME_BENCH not set";
  auto xnn = CreateXnnpackBackend(ModelPath());
  ASSERT_TRUE(xnn.ok());
  const std::vector<int64_t> shape = InputShape(ModelPath());
  const bool with_opencv = std::getenv("VIGIL_RUNTIME_BENCH_OPENCV") != nullptr;
  auto ocv = with_opencv ? CreateOpenCvBackend(ModelPath()) : Result<std::unique_ptr<Backend>>(NotFoundError("-"));
  for (const Backend* backend : {xnn->get(), with_opencv ? ocv->get() : nullptr}) {
    if (!backend) continue;
    std::vector<int> thread_counts = {1, 2}, batches = {1, 16};
    if (const char* t = std::getenv("VIGIL_RUNTIME_BENCH_THREADS")) thread_counts = {std::atoi(t)};
    if (const char* b = std::getenv("VIGIL_RUNTIME_BENCH_BATCH")) batches = {std::atoi(b)};
    for (int threads : thread_counts) {
      for (int batch : batches) {
        SessionOptions options;
        options.threads = threads;
        options.max_batch = batch;
        options.yield_workers = std::getenv("VIGIL_RUNTIME_BENCH_SPIN") == nullptr;
        auto s = backend->CreateSession(options);
        ASSERT_TRUE(s.ok());
        Tensor in = RandomInput(shape, batch, 3);
        std::vector<Tensor> out;
        ASSERT_TRUE((*s)->Run(in, &out).ok());  // warm-up (and setup)
        std::vector<double> rates;
        for (int rep = 0; rep < 5; ++rep) {
          int images = 0;
          const auto start = std::chrono::steady_clock::now();
          double elapsed = 0;
          while (elapsed < 0.6) {
            ASSERT_TRUE((*s)->Run(in, &out).ok());
            images += batch;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          }
          rates.push_back(images / elapsed);
        }
        std::sort(rates.begin(), rates.end());
        std::printf("%s %s threads %d batch %2d: median %.1f img/s (min %.1f, max %.1f)\n",
                    BackendKindName(backend->kind()), ModelPath(), threads, batch, rates[2], rates[0], rates[4]);
      }
    }
  }
}

}  // namespace
}  // namespace vigil
