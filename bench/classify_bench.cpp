// classify_bench: Vigil against ONNX Runtime (npm onnxruntime-node, run through bench/ort_bench.js)
// on the same ONNX model, in one sitting. Prints img/s and ratios for 1 and 2 threads, batch 1 and
// 16, model-only; and end to end (1920x1080 JPEG bytes -> labels) against the ideal rate
// 1 / (decode time + inference time) measured separately in the same run.
// Vigil and ORT are interleaved (Vigil, ORT, Vigil, ORT, ... --repeat rounds per configuration) and
// medians are printed, so a load change during the sitting hits both. Every status is checked: a
// failed CreateSession, Run, decode or ORT run prints no figure and exits 1 (a broken session must
// never look fast).
//
// usage: classify_bench --models DIR --model NAME --photo JPEG [--seconds S] [--repeat R]
//        [--node-modules DIR] [--ort-script bench/ort_bench.js] [--no-ort]
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ort_peer.h"
#include "runtime/backend.h"
#include "vigil/classifier.h"
#include "vigil/model_repository.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::Result;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Args {
  std::string models = "models";
  std::string model = "nsfw_mobilenet_v2";
  std::string photo;
  std::string node_modules = "node_modules";
  std::string ort_script = "bench/ort_bench.js";
  double seconds = 5;
  int repeat = 3;
  bool ort = true;
  std::string backend = "xnnpack";
};

// The first failure of a measurement (any thread); a measurement with a failure has no figure.
class Failure {
 public:
  // Records `status` (if not OK) and returns -1, the "failed" item count of a work function.
  long Set(const vigil::Status& status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (message_.empty()) message_ = status.ToString();
    failed_ = true;
    return -1;
  }
  bool failed() const { return failed_; }
  const std::string& message() const { return message_; }

 private:
  std::mutex mutex_;
  std::string message_;
  std::atomic<bool> failed_{false};
};

// Runs `work(worker_index)` in `workers` threads until `seconds` pass; returns items per second,
// where each call of work() returns how many items it processed, or -1 (all threads stop) when it
// failed: then Rate returns -1.
template <typename Work>
double Rate(int workers, double seconds, Work work) {
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::atomic<long> items{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w]() {
      for (int i = 0; i < 2; ++i) {  // warm-up
        if (work(w) < 0) failed = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) return -1;
  threads.clear();
  auto start = Clock::now();
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w]() {
      while (!stop.load(std::memory_order_relaxed)) {
        const long n = work(w);
        if (n < 0) {
          failed = true;
          stop = true;
          return;
        }
        items += n;
      }
    });
  }
  for (double waited = 0; waited < seconds && !stop; waited += 0.05) {
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.05, seconds - waited)));
  }
  stop = true;
  for (auto& t : threads) t.join();
  return failed ? -1 : items.load() / Seconds(start, Clock::now());
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

// ORT's images per second; -1 with *error set when node or the script fails.
double OrtRate(const Args& args, const std::string& onnx, int threads, int batch, std::string* error) {
  const nlohmann::json j = vigil_bench::RunOrtBench(args.node_modules, args.ort_script, onnx, threads, batch, args.seconds);
  if (j.is_object() && j.contains("img_per_s") && j["img_per_s"].is_number() && j["img_per_s"].get<double>() > 0) {
    return j["img_per_s"].get<double>();
  }
  *error = "onnxruntime run failed (node " + args.ort_script + " with " + args.node_modules +
           "; pass --no-ort to measure Vigil alone)";
  return -1;
}

int Fail(const std::string& what, const std::string& why) {
  std::fflush(stdout);
  std::fprintf(stderr, "classify_bench: %s failed, no figure: %s\n", what.c_str(), why.c_str());
  return 1;
}

int Main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--models") args.models = next();
    else if (a == "--model") args.model = next();
    else if (a == "--photo") args.photo = next();
    else if (a == "--seconds") args.seconds = std::atof(next().c_str());
    else if (a == "--repeat") args.repeat = std::max(1, std::atoi(next().c_str()));
    else if (a == "--node-modules") args.node_modules = next();
    else if (a == "--ort-script") args.ort_script = next();
    else if (a == "--backend") args.backend = next();
    else if (a == "--no-ort") args.ort = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  auto repo = vigil::ModelRepository::Open(args.models);
  if (!repo.ok()) return std::fprintf(stderr, "%s\n", repo.status().ToString().c_str()), 1;
  auto entry = (*repo)->Find(args.model);
  if (!entry.ok()) return std::fprintf(stderr, "%s\n", entry.status().ToString().c_str()), 1;
  const vigil::ModelManifest& m = entry->manifest;
  auto kind = vigil::ParseBackendKind(args.backend);
  if (!kind.ok()) return std::fprintf(stderr, "%s\n", kind.status().ToString().c_str()), 1;
  auto backend = vigil::CreateBackend(*kind, entry->onnx_path);
  if (!backend.ok()) return std::fprintf(stderr, "%s\n", backend.status().ToString().c_str()), 1;

  std::printf("model %s:%d (%dx%d), backend %s, %.1f s per measurement, median of %d interleaved rounds, "
              "%u hardware threads\n",
              m.name.c_str(), m.version, m.input.width, m.input.height, args.backend.c_str(),
              args.seconds, args.repeat, std::thread::hardware_concurrency());
  std::printf("\n## model only (img/s)\n");
  std::printf("%-8s %-6s %-22s %-22s %-12s %-10s %-10s\n", "threads", "batch", "vigil 1 session",
              "vigil N workers", "onnxruntime", "ratio", "ratio(N)");
  for (int threads : {1, 2}) {
    for (int batch : {1, 16}) {
      vigil::Tensor input;
      input.shape = m.input.layout == "NCHW"
                        ? std::vector<int64_t>{batch, 3, m.input.height, m.input.width}
                        : std::vector<int64_t>{batch, m.input.height, m.input.width, 3};
      input.data.resize(vigil::Tensor::NumElements(input.shape));
      for (size_t i = 0; i < input.data.size(); ++i) input.data[i] = float((i * 7919) % 255) / 255;
      // One session with `threads` intra-op threads (what ORT does with intraOpNumThreads).
      vigil::SessionOptions so{threads, batch};
      auto session = (*backend)->CreateSession(so);
      if (!session.ok()) return Fail("CreateSession", session.status().ToString());
      std::vector<vigil::Tensor> outputs;
      // `threads` workers, each with its own single-thread session.
      std::vector<std::unique_ptr<vigil::Session>> sessions;
      for (int w = 0; w < threads; ++w) {
        auto worker_session = (*backend)->CreateSession({1, batch});
        if (!worker_session.ok()) return Fail("CreateSession", worker_session.status().ToString());
        sessions.push_back(std::move(*worker_session));
      }
      std::vector<std::vector<vigil::Tensor>> outs(threads);
      Failure failure;
      std::vector<double> one_runs, worker_runs, ort_runs;
      for (int r = 0; r < args.repeat; ++r) {  // interleaved: Vigil, Vigil N workers, ORT; again
        one_runs.push_back(Rate(1, args.seconds, [&](int) -> long {
          const vigil::Status st = (*session)->Run(input, &outputs);
          return st.ok() ? batch : failure.Set(st);
        }));
        worker_runs.push_back(Rate(threads, args.seconds, [&](int w) -> long {
          const vigil::Status st = sessions[w]->Run(input, &outs[w]);
          return st.ok() ? batch : failure.Set(st);
        }));
        if (failure.failed()) return Fail("Session::Run", failure.message());
        if (args.ort) {
          std::string error;
          ort_runs.push_back(OrtRate(args, entry->onnx_path, threads, batch, &error));
          if (ort_runs.back() < 0) return Fail("ONNX Runtime", error);
        }
      }
      const double one = Median(one_runs), workers = Median(worker_runs);
      const double ort = args.ort ? Median(ort_runs) : -1;
      std::printf("%-8d %-6d %-22.1f %-22.1f %-12.1f %-10s %-10s\n", threads, batch, one, workers,
                  ort, ort > 0 ? (std::to_string(one / ort).substr(0, 5) + "x").c_str() : "-",
                  ort > 0 ? (std::to_string(workers / ort).substr(0, 5) + "x").c_str() : "-");
    }
  }

  if (args.photo.empty()) return 0;
  // End to end: a 1920x1080 JPEG made from a real photo, held in memory.
  cv::Mat photo = cv::imread(args.photo, cv::IMREAD_COLOR);
  if (photo.empty()) return std::fprintf(stderr, "cannot read %s\n", args.photo.c_str()), 1;
  cv::Mat hd;
  cv::resize(photo, hd, cv::Size(1920, 1080), 0, 0, cv::INTER_AREA);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", hd, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  std::printf("\n## end to end: 1920x1080 JPEG (%zu bytes) -> labels, img/s\n", jpeg.size());
  std::printf("%-8s %-12s %-12s %-12s %-12s %-12s %-10s\n", "threads", "decode ms", "full dec ms",
              "infer ms", "ideal img/s", "vigil img/s", "vs ideal");
  vigil::ClassifierOptions co;
  co.model.repository = args.models;
  co.model.name = m.name;
  co.model.version = m.version;
  co.model.backend = args.backend;
  co.with_embedding = false;
  auto classifier = vigil::ImageClassifier::Create(co);
  if (!classifier.ok()) return std::fprintf(stderr, "%s\n", classifier.status().ToString().c_str()), 1;
  const vigil::ImageClassifier& c = **classifier;
  auto decoded = vigil::DecodeImage(jpeg.data(), jpeg.size(), c.decode_options());
  if (!decoded.ok()) return std::fprintf(stderr, "%s\n", decoded.status().ToString().c_str()), 1;
  // Decode and inference are each measured alone with the same number of workers; the ideal
  // end-to-end rate is then 1 / (1/decode_rate + 1/infer_rate): the work itself, no overhead.
  for (int threads : {1, 2}) {
    Failure failure;
    double decode_rate = Rate(threads, args.seconds, [&](int) -> long {
      auto img = vigil::DecodeImage(jpeg.data(), jpeg.size(), c.decode_options());
      return img.ok() ? 1 : failure.Set(img.status());
    });
    double full_decode_rate = Rate(threads, args.seconds / 2, [&](int) -> long {
      auto img = vigil::DecodeImage(jpeg.data(), jpeg.size());
      return img.ok() ? 1 : failure.Set(img.status());
    });
    double infer_rate = Rate(threads, args.seconds, [&](int) -> long {
      auto p = c.Classify(*decoded);
      return p.ok() ? 1 : failure.Set(p.status());
    });
    double e2e = Rate(threads, args.seconds, [&](int) -> long {
      auto p = c.ClassifyBytes(jpeg.data(), jpeg.size());
      return p.ok() ? 1 : failure.Set(p.status());
    });
    if (failure.failed()) return Fail("end to end", failure.message());
    double ideal = 1 / (1 / decode_rate + 1 / infer_rate);
    std::printf("%-8d %-12.2f %-12.2f %-12.2f %-12.1f %-12.1f %.3fx\n", threads,
                1000.0 * threads / decode_rate, 1000.0 * threads / full_decode_rate,
                1000.0 * threads / infer_rate, ideal, e2e, e2e / ideal);
  }
  std::printf("(decoded at %dx%d for a %dx%d input; 'infer' includes preprocessing)\n",
              decoded->width, decoded->height, m.input.width, m.input.height);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
