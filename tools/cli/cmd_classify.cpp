// `vigil classify PATH... [--model A --model B ...]`: run one or several models (classifiers and
// detectors) on image files and directories, decoding each image once (vigil::Analyzer).
// N worker threads each decode and analyse (one single-thread inference session per worker and
// model); results are printed in input order as they become ready. With exactly one classifier
// the output is the single-model format (JSON: path, model, version, backend, predictions);
// otherwise JSON has "results" (one per model) and "tags" (see docs/detection.md).
#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "../server/result_json.h"
#include "cli_common.h"
#include "commands.h"
#include "vigil/analyzer.h"
#include "vigil/detector.h"
#include "vigil/model_repository.h"

namespace vigil::cli {
namespace {

struct ClassifyArgs {
  std::vector<std::string> paths;
  std::vector<std::string> models = {"nsfw_mobilenet_v2"};
  std::string models_dir;
  std::string backend = "auto";
  int top_k = 0;
  bool json = false;
  bool embedding = false;
  int threads = 0;
  int batch = 1;
  bool full_decode = false;
  DetectionThresholds detection;
  int64_t max_pixels = DecodeOptions{}.max_pixels;
  int64_t max_decode_bytes = DecodeOptions{}.max_decode_bytes;
  size_t max_bytes = DecodeOptions{}.max_bytes;
};

struct Slot {
  bool ready = false;
  Status status;
  std::optional<Analysis> analysis;
};

void PrintJson(const std::string& path, const Slot& slot, const Analyzer& analyzer) {
  nlohmann::json j;
  if (!slot.status.ok()) {
    j["error"] = {{"code", StatusCodeName(slot.status.code())}, {"message", slot.status.message()}};
  } else if (analyzer.models().size() == 1 && analyzer.models()[0].task == "classification") {
    // The single-classifier format (unchanged since the first release; the server's too).
    j = server::PredictionJson(slot.analysis->outputs[0]);
    j["backend"] = analyzer.models()[0].backend;
  } else {
    const Analysis& a = *slot.analysis;
    j["width"] = a.image_width;
    j["height"] = a.image_height;
    nlohmann::json results = nlohmann::json::array();
    // One entry per model, in the order given on the command line.
    for (const ModelOutput& out : a.outputs) results.push_back(server::ModelResultJson(out));
    j["results"] = std::move(results);
    j["tags"] = server::TagsJson(a.tags);
  }
  j["path"] = path;
  std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

// Text: "PATH  label score ..." per classifier, then "| tags: label score xCOUNT ...".
void PrintText(const std::string& path, const Slot& slot) {
  if (!slot.status.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", path.c_str(), slot.status.ToString().c_str());
    return;
  }
  const Analysis& a = *slot.analysis;
  std::printf("%s", path.c_str());
  size_t classifiers = 0, detectors = 0;
  for (const ModelOutput& out : a.outputs) {
    if (out.task != "classification") {
      ++detectors;
      continue;
    }
    if (classifiers++ > 0) std::printf("  |");
    for (const LabelScore& l : out.labels) std::printf("  %s %.4f", l.label.c_str(), l.score);
  }
  if (detectors > 0) {
    std::printf("%stags:", classifiers == 0 ? "  " : "  |  ");
    if (a.tags.empty()) std::printf(" -");
    for (const DetectionTag& t : a.tags) std::printf("  %s %.4f x%d", t.label.c_str(), t.score, t.count);
  }
  std::printf("\n");
}

void PrintResult(const ClassifyArgs& args, const std::string& path, const Slot& slot,
                 const Analyzer& analyzer) {
  if (args.json) {
    PrintJson(path, slot, analyzer);
  } else {
    PrintText(path, slot);
  }
  std::fflush(stdout);
}

int RunClassify(const ClassifyArgs& args) {
  AnalyzerOptions options;
  options.common.repository = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  options.models = args.models;
  options.common.backend = args.backend;
  options.top_k = args.top_k;
  options.with_embedding = args.embedding;
  options.classifier_max_batch = args.batch;
  options.detection = args.detection;
  options.common.scaled_decode = !args.full_decode;
  options.common.decode.max_pixels = args.max_pixels;
  options.common.decode.max_decode_bytes = args.max_decode_bytes;
  options.common.decode.max_bytes = args.max_bytes;
  auto analyzer_or = Analyzer::Create(options);
  if (!analyzer_or.ok()) return ReportError(analyzer_or.status());
  const Analyzer& analyzer = **analyzer_or;

  const std::vector<std::string> files = CollectImagePaths(args.paths);
  if (files.empty()) {
    std::fprintf(stderr, "error: no images found in the given paths\n");
    return kExitUsage;
  }
  const int workers = std::max(1, std::min<int>(args.threads > 0 ? args.threads
                                                                  : std::thread::hardware_concurrency(),
                                                int(files.size())));
  std::vector<Slot> slots(files.size());
  std::mutex mutex;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  ProgressBar progress(files.size(), true);
  const auto start = std::chrono::steady_clock::now();

  auto worker = [&]() {
    const size_t batch = size_t(args.batch);
    for (;;) {
      size_t begin = next.fetch_add(batch);
      if (begin >= files.size()) return;
      size_t end = std::min(files.size(), begin + batch);
      std::vector<Image> images;
      std::vector<DecodeInfo> infos;
      std::vector<size_t> indices;
      std::vector<Status> statuses(end - begin);
      for (size_t i = begin; i < end; ++i) {
        DecodeInfo info;
        auto image = ReadImageFile(files[i], analyzer.decode_options(), &info);
        if (image.ok()) {
          images.push_back(std::move(*image));
          infos.push_back(info);
          indices.push_back(i);
        } else {
          statuses[i - begin] = image.status();
        }
      }
      std::vector<std::optional<Analysis>> preds(end - begin);
      if (!images.empty()) {
        auto result = analyzer.AnalyzeBatch(images, &infos);
        for (size_t k = 0; k < indices.size(); ++k) {
          if (result.ok()) {
            preds[indices[k] - begin] = std::move((*result)[k]);
          } else {
            statuses[indices[k] - begin] = result.status();
          }
        }
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        for (size_t i = begin; i < end; ++i) {
          slots[i].status = statuses[i - begin];
          slots[i].analysis = std::move(preds[i - begin]);
          slots[i].ready = true;
        }
      }
      for (size_t i = begin; i < end; ++i) progress.Tick(!statuses[i - begin].ok());
      cv.notify_one();
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < workers; ++t) threads.emplace_back(worker);

  size_t failed = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return slots[i].ready; });
    Slot slot = std::move(slots[i]);
    lock.unlock();
    if (!slot.status.ok()) ++failed;
    PrintResult(args, files[i], slot, analyzer);
  }
  for (std::thread& t : threads) t.join();
  progress.Finish();

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::string model_list;
  for (const AnalyzerModel& m : analyzer.models()) {
    model_list += (model_list.empty() ? "" : ", ") + m.name + ":" + std::to_string(m.version) +
                  " (" + m.backend + ")";
  }
  std::fprintf(stderr, "classified %zu of %zu images with %s, %d workers, in %.2f s: %.1f img/s%s\n",
               files.size() - failed, files.size(), model_list.c_str(), workers, seconds,
               seconds > 0 ? files.size() / seconds : 0.0,
               failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  return failed ? kExitSomeInputsFailed : kExitOk;
}

}  // namespace

void AddClassifyCommand(CLI::App& app) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "classify", "Classify image files and directories (recursive) and detect objects in them");
  cmd->add_option("paths", args->paths, "Image files or directories")->required();
  OneValuePerFlag(cmd->add_option("-m,--model", args->models,
                  "Model as NAME or NAME:VERSION, classifier or detector; repeat to run several "
                  "models on one decode of each image"))
      ->capture_default_str();
  cmd->add_option("--models", args->models_dir,
                  "Model repository (default: $VIGIL_MODELS, ./models, or next to the binary)");
  cmd->add_option("--backend", args->backend, "Inference backend")
      ->check(CLI::IsMember({"auto", "xnnpack", "onednn", "opencv"}))
      ->capture_default_str();
  cmd->add_option("-k,--top-k", args->top_k, "Print only the K best labels (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "One JSON object per input on stdout");
  cmd->add_flag("--embedding", args->embedding, "Include the penultimate embedding in --json output");
  cmd->add_option("-t,--threads", args->threads,
                  "Worker threads, each decoding and running one single-thread session (default: cores)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--batch", args->batch, "Images per inference call in each worker")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--score-threshold", args->detection.score_threshold,
                  "Detectors: keep detections scoring at least this (default: the manifest's)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--iou-threshold", args->detection.iou_threshold,
                  "Detectors: NMS overlap threshold in (0, 1] (default: the manifest's)")
      ->check(CLI::Validator(
          [](std::string& text) {
            try {
              const double v = std::stod(text);
              return v > 0 && v <= 1 ? std::string() : "must be in (0, 1], got " + text;
            } catch (const std::exception&) {
              return "not a number: " + text;
            }
          },
          "(0, 1]"));
  cmd->add_option("--max-detections", args->detection.max_detections,
                  "Detectors: detections kept per image (default: the manifest's)")
      ->check(CLI::Range(1, kMaxDetections));
  cmd->add_flag("--full-decode", args->full_decode, "Decode JPEGs at full size (no DCT scaling)");
  cmd->add_option("--max-pixels", args->max_pixels, "Refuse images with more pixels")
      ->capture_default_str();
  cmd->add_option("--max-bytes", args->max_bytes, "Refuse files larger than this")
      ->capture_default_str();
  cmd->add_option("--max-decode-bytes", args->max_decode_bytes,
                  "Memory budget of one decode (result + intermediates); larger images are refused")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([args]() { throw CommandResult{RunClassify(*args)}; });
}

}  // namespace vigil::cli
