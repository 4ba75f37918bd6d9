// detect_bench: per-image latency of a detector (NanoDet-416 by default) in Vigil against ONNX
// Runtime (npm onnxruntime-node through bench/ort_bench.js) on the same ONNX file, in one sitting.
//   model only  one session with T intra-op threads (T = 1, 2) running batch 1 back to back, on a
//               fixed pseudo-random input: mean ms per image, for every Vigil backend that can run
//               the model, and ORT with intraOpNumThreads = T
//   pipeline    Detector::Detect on a real photo (preprocess + inference + decode + NMS) with the
//               backend `auto` picks, and the stages around the model alone: preprocessing of
//               the photo, decoding + NMS of the model's real outputs for it
// Each figure is the median of --repeat runs of --seconds each; ORT and the Vigil backends take turns
// within each round (interleaved in one sitting). Every status is checked: a failed CreateSession,
// Run, Detect or ORT run prints no figure and exits 1.
//
// usage: detect_bench --models DIR [--model nanodet_coco] [--photo PNG|JPEG] [--seconds S]
//        [--repeat R] [--node-modules DIR] [--ort-script bench/ort_bench.js] [--no-ort]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ort_peer.h"
#include "detect/detection_decode.h"
#include "detect/nms.h"
#include "media/preprocess.h"
#include "runtime/backend.h"
#include "vigil/detector.h"
#include "vigil/model_repository.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string models = "models";
  std::string model = "nanodet_coco";
  std::string photo;
  std::string node_modules = "node_modules";
  std::string ort_script = "bench/ort_bench.js";
  double seconds = 3;
  int repeat = 3;
  bool ort = true;
};

double Median(std::vector<double> v) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Mean milliseconds per call of `work` over `seconds`, after two warm-up calls. `work` returns a
// Status; the first failure stops the measurement: -1, with *error set.
template <typename Work>
double MeanMs(double seconds, std::string* error, Work work) {
  for (int i = 0; i < 2; ++i) {
    const vigil::Status st = work();
    if (!st.ok()) return *error = st.ToString(), -1;
  }
  long calls = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    const vigil::Status st = work();
    if (!st.ok()) return *error = st.ToString(), -1;
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 1000.0 * elapsed / calls;
}

// ORT's mean ms per run (batch 1); -1 with *error set when node or the script fails.
double OrtMs(const Args& args, const std::string& onnx, int threads, std::string* error) {
  const nlohmann::json j = vigil_bench::RunOrtBench(args.node_modules, args.ort_script, onnx, threads, 1, args.seconds);
  if (j.is_object() && j.contains("ms_per_run") && j["ms_per_run"].is_number() && j["ms_per_run"].get<double>() > 0) {
    return j["ms_per_run"].get<double>();
  }
  *error = "onnxruntime run failed (node " + args.ort_script + "; pass --no-ort to measure Vigil alone)";
  return -1;
}

int Fail(const std::string& what, const std::string& why) {
  std::fflush(stdout);
  std::fprintf(stderr, "detect_bench: %s failed, no figure: %s\n", what.c_str(), why.c_str());
  return 1;
}

std::string Ratio(double ours, double peer) {
  if (ours <= 0 || peer <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", peer / ours);  // > 1: Vigil is faster
  return buf;
}

int Main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--models") args.models = next();
    else if (a == "--model") args.model = next();
    else if (a == "--photo") args.photo = next();
    else if (a == "--seconds") args.seconds = std::atof(next().c_str());
    else if (a == "--repeat") args.repeat = std::max(1, std::atoi(next().c_str()));
    else if (a == "--node-modules") args.node_modules = next();
    else if (a == "--ort-script") args.ort_script = next();
    else if (a == "--no-ort") args.ort = false;
    else return std::fprintf(stderr, "unknown argument %s\n", a.c_str()), 2;
  }
  auto repo = vigil::ModelRepository::Open(args.models);
  if (!repo.ok()) return std::fprintf(stderr, "%s\n", repo.status().ToString().c_str()), 1;
  auto entry = (*repo)->Find(args.model);
  if (!entry.ok()) return std::fprintf(stderr, "%s\n", entry.status().ToString().c_str()), 1;
  const vigil::ModelManifest& m = entry->manifest;
  std::printf("model %s:%d (%dx%d %s), %.1f s per measurement, median of %d\n", m.name.c_str(),
              m.version, m.input.width, m.input.height, m.input.layout.c_str(), args.seconds,
              args.repeat);

  vigil::Tensor input;
  input.shape = m.input.layout == "NCHW"
                    ? std::vector<int64_t>{1, 3, m.input.height, m.input.width}
                    : std::vector<int64_t>{1, m.input.height, m.input.width, 3};
  input.data.resize(vigil::Tensor::NumElements(input.shape));
  for (size_t i = 0; i < input.data.size(); ++i) input.data[i] = float((i * 7919) % 255) / 255;

  std::printf("\n## model only, batch 1: ms per image (ratio = onnxruntime ms / vigil ms)\n");
  std::printf("%-8s %-10s %-12s %-14s %-8s\n", "threads", "backend", "vigil ms", "onnxruntime ms",
              "ratio");
  for (int threads : {1, 2}) {
    struct Run {
      vigil::BackendKind kind;
      std::unique_ptr<vigil::Backend> backend;
      std::unique_ptr<vigil::Session> session;
      std::vector<double> ms;
    };
    std::vector<Run> runs;
    for (vigil::BackendKind kind : {vigil::BackendKind::kOneDnn, vigil::BackendKind::kXnnpack,
                                    vigil::BackendKind::kOpenCv}) {
      auto backend = vigil::CreateBackend(kind, entry->onnx_path);
      if (!backend.ok()) {  // a backend that cannot express the model: said, not measured
        std::printf("%-8d %-10s %s\n", threads, vigil::BackendKindName(kind),
                    ("cannot run it: " + backend.status().message().substr(0, 90)).c_str());
        continue;
      }
      auto session = (*backend)->CreateSession({threads, 1});
      if (!session.ok()) return Fail("CreateSession", session.status().ToString());
      runs.push_back({kind, std::move(*backend), std::move(*session), {}});
    }
    std::vector<double> ort_runs;
    std::vector<vigil::Tensor> outputs;
    for (int r = 0; r < args.repeat; ++r) {  // interleaved: ORT, then each backend; again
      std::string error;
      if (args.ort) {
        ort_runs.push_back(OrtMs(args, entry->onnx_path, threads, &error));
        if (ort_runs.back() < 0) return Fail("ONNX Runtime", error);
      }
      for (Run& run : runs) {
        run.ms.push_back(MeanMs(args.seconds, &error, [&] { return run.session->Run(input, &outputs); }));
        if (run.ms.back() < 0) return Fail(std::string("Session::Run on ") + vigil::BackendKindName(run.kind), error);
      }
    }
    const double ort = args.ort ? Median(ort_runs) : -1;
    for (const Run& run : runs) {
      const double ours = Median(run.ms);
      std::printf("%-8d %-10s %-12.2f %-14.2f %-8s\n", threads, vigil::BackendKindName(run.kind), ours,
                  ort, Ratio(ours, ort).c_str());
    }
  }

  if (args.photo.empty()) return 0;
  auto image = vigil::ReadImageFile(args.photo);
  if (!image.ok()) return std::fprintf(stderr, "%s\n", image.status().ToString().c_str()), 1;
  std::printf("\n## pipeline on %s (%dx%d): Detector::Detect ms per image\n", args.photo.c_str(),
              image->width, image->height);
  std::printf("%-8s %-10s %-12s %-10s\n", "threads", "backend", "detect ms", "detections");
  for (int threads : {1, 2}) {
    vigil::DetectorOptions o;
    o.model.repository = args.models;
    o.model.name = m.name;
    o.model.version = m.version;
    o.model.threads_per_session = threads;
    auto detector = vigil::Detector::Create(o);
    if (!detector.ok()) return std::fprintf(stderr, "%s\n", detector.status().ToString().c_str()), 1;
    size_t found = 0;
    std::vector<double> runs;
    std::string error;
    for (int r = 0; r < args.repeat; ++r) {
      runs.push_back(MeanMs(args.seconds, &error, [&] {
        auto d = (*detector)->Detect(*image);
        if (!d.ok()) return d.status();
        found = d->detections.size();
        return vigil::Status::Ok();
      }));
      if (runs.back() < 0) return Fail("Detect", error);
    }
    std::printf("%-8d %-10s %-12.2f %-10zu\n", threads, (*detector)->backend_name().c_str(),
                Median(runs), found);
  }

  // The stages around the model, on this photo's real outputs (one thread).
  auto spec = vigil::PreprocessSpecFromManifest(m.input, m.preprocessing);
  auto backend = vigil::CreateBackend(vigil::BackendKind::kAuto, entry->onnx_path);
  if (!spec.ok() || !backend.ok()) return std::fprintf(stderr, "cannot load the model\n"), 1;
  vigil::Tensor photo_input;
  photo_input.shape = input.shape;
  photo_input.data.resize(input.data.size());
  std::vector<double> pre_runs, post_runs;
  std::string error;
  for (int r = 0; r < args.repeat; ++r) {
    pre_runs.push_back(MeanMs(args.seconds / 2, &error, [&] {
      return vigil::PreprocessInto(*image, *spec, photo_input.data.data());
    }));
    if (pre_runs.back() < 0) return Fail("PreprocessInto", error);
  }
  auto session = (*backend)->CreateSession({1, 1});
  std::vector<vigil::Tensor> outputs;
  if (!session.ok() || !(*session)->Run(photo_input, &outputs).ok()) {
    return std::fprintf(stderr, "cannot run the model\n"), 1;
  }
  const vigil::DetectionSpec& d = m.detection;
  vigil::RawDetectorOutputs raw;
  for (size_t level = 0; level < d.strides.size(); ++level) {
    for (const vigil::Tensor& t : outputs) {
      if (t.name == d.score_outputs[level]) raw.scores.push_back(t.data.data());
      if (t.name == d.box_outputs[level]) raw.boxes.push_back(t.data.data());
    }
  }
  size_t kept = 0, candidates = 0;
  for (int r = 0; r < args.repeat; ++r) {
    post_runs.push_back(MeanMs(args.seconds / 2, &error, [&] {
      const int classes = int(m.labels.size());
      std::vector<vigil::Candidate> c =
          d.architecture == "nanodet"
              ? vigil::DecodeNanoDet(d, raw, m.input.width, m.input.height, classes, d.score_threshold)
              : vigil::DecodeCenterNet(d, raw, m.input.width, m.input.height, classes, d.score_threshold);
      candidates = c.size();
      kept = vigil::NonMaxSuppression(c, d.iou_threshold, d.max_detections, d.class_agnostic_nms).size();
      return vigil::Status::Ok();
    }));
  }
  std::printf("\n## stages around the model (1 thread, ms per image)\n");
  std::printf("preprocess (%s %dx%d -> %dx%d): %.3f\n", m.preprocessing.resize.c_str(), image->width,
              image->height, m.input.width, m.input.height, Median(pre_runs));
  std::printf("decode + NMS (%zu candidates -> %zu boxes): %.3f\n", candidates, kept, Median(post_runs));
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
