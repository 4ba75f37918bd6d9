// `vigil classify PATH...`: classify image files and directories with one model.
// N worker threads each decode and classify (one single-thread inference session per worker);
// results are printed in input order as they become ready.
#include <CLI/CLI.hpp>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "vigil/classifier.h"
#include "vigil/model_repository.h"

namespace vigil::cli {
namespace {

struct ClassifyArgs {
  std::vector<std::string> paths;
  std::string model = "nsfw_mobilenet_v2";
  std::string models_dir;
  std::string backend = "auto";
  int top_k = 0;
  bool json = false;
  bool embedding = false;
  int threads = 0;
  int batch = 1;
  bool full_decode = false;
  int64_t max_pixels = DecodeOptions{}.max_pixels;
  size_t max_bytes = DecodeOptions{}.max_bytes;
};

struct Slot {
  bool ready = false;
  Status status;
  std::optional<Prediction> prediction;
};

void PrintResult(const ClassifyArgs& args, const std::string& path, const Slot& slot,
                 const std::string& backend) {
  if (args.json) {
    nlohmann::json j;
    j["path"] = path;
    if (!slot.status.ok()) {
      j["error"] = {{"code", StatusCodeName(slot.status.code())}, {"message", slot.status.message()}};
    } else {
      const Prediction& p = *slot.prediction;
      j["model"] = p.model;
      j["version"] = p.version;
      j["backend"] = backend;
      nlohmann::json preds = nlohmann::json::array();
      for (const LabelScore& l : p.labels) preds.push_back({{"label", l.label}, {"score", l.score}});
      j["predictions"] = std::move(preds);
      if (args.embedding) j["embedding"] = p.embedding;
    }
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (!slot.status.ok()) {
    std::fprintf(stderr, "%s: error: %s\n", path.c_str(), slot.status.ToString().c_str());
  } else {
    std::printf("%s", path.c_str());
    for (const LabelScore& l : slot.prediction->labels) {
      std::printf("  %s %.4f", l.label.c_str(), l.score);
    }
    std::printf("\n");
  }
  std::fflush(stdout);
}

int RunClassify(const ClassifyArgs& args) {
  auto ref = ParseModelRef(args.model);
  if (!ref.ok()) return ReportError(ref.status());
  ClassifierOptions options;
  options.model_repository = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  options.model = ref->name;
  options.version = ref->version;
  options.backend = args.backend;
  options.top_k = args.top_k;
  options.with_embedding = args.embedding;
  options.max_batch = args.batch;
  options.scaled_decode = !args.full_decode;
  options.decode.max_pixels = args.max_pixels;
  options.decode.max_bytes = args.max_bytes;
  auto classifier_or = ImageClassifier::Create(options);
  if (!classifier_or.ok()) return ReportError(classifier_or.status());
  const ImageClassifier& classifier = **classifier_or;
  const std::string backend = classifier.backend_name();

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
      std::vector<size_t> indices;
      std::vector<Status> statuses(end - begin);
      for (size_t i = begin; i < end; ++i) {
        auto image = ReadImageFile(files[i], classifier.decode_options());
        if (image.ok()) {
          images.push_back(std::move(*image));
          indices.push_back(i);
        } else {
          statuses[i - begin] = image.status();
        }
      }
      std::vector<std::optional<Prediction>> preds(end - begin);
      if (!images.empty()) {
        auto result = classifier.ClassifyBatch(images);
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
          slots[i].prediction = std::move(preds[i - begin]);
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
    PrintResult(args, files[i], slot, backend);
  }
  for (std::thread& t : threads) t.join();
  progress.Finish();

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "classified %zu of %zu images with %s:%d (%s, %d workers) in %.2f s: %.1f img/s%s\n",
               files.size() - failed, files.size(), classifier.manifest().name.c_str(),
               classifier.manifest().version, backend.c_str(), workers, seconds,
               seconds > 0 ? files.size() / seconds : 0.0,
               failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  return failed ? kExitSomeInputsFailed : kExitOk;
}

}  // namespace

void AddClassifyCommand(CLI::App& app) {
  auto args = std::make_shared<ClassifyArgs>();
  CLI::App* cmd = app.add_subcommand("classify", "Classify image files and directories (recursive)");
  cmd->add_option("paths", args->paths, "Image files or directories")->required();
  cmd->add_option("-m,--model", args->model, "Model as NAME or NAME:VERSION")
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
  cmd->add_flag("--full-decode", args->full_decode, "Decode JPEGs at full size (no DCT scaling)");
  cmd->add_option("--max-pixels", args->max_pixels, "Refuse images with more pixels")
      ->capture_default_str();
  cmd->add_option("--max-bytes", args->max_bytes, "Refuse files larger than this")
      ->capture_default_str();
  cmd->callback([args]() { throw CommandResult{RunClassify(*args)}; });
}

}  // namespace vigil::cli
