// `vigil moderate PATH... [--policy FILE] [--json]`: one decision per image or video (vigil::Moderator):
// allow, review or block, per policy category, with the policy version and the model versions.
// Images are moderated by N workers (each decision runs the policy's models concurrently); videos
// one after the other. Results print in input order. With --store the decisions are recorded
// (idempotently) in SQLite or PostgreSQL.
// Exit code: 0 all allowed, 3 when any item is review or block, 1 on errors (per-file errors are
// named and the rest processed; errors win over flags, so a 0 or 3 means every item was decided).
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "vigil/decision_store.h"
#include "vigil/moderation.h"

namespace vigil::cli {
namespace {

constexpr int kExitFlagged = 3;

struct ModerateArgs {
  std::vector<std::string> paths;
  std::string policy;
  std::string models_dir;
  std::string backend = "auto";
  std::string store;
  std::string sample = "interval:1";
  int threads = 0;
  int deadline_ms = 0;
  bool json = false;
  bool no_cascade = false;
  bool no_stop_early = false;
  bool full_decode = false;
};

struct Slot {
  bool ready = false;
  Result<Decision> decision = InternalError("not run");
};

void PrintDecision(const ModerateArgs& args, const std::string& path, const Result<Decision>& r) {
  if (!r.ok()) {
    if (args.json) {
      nlohmann::json j;
      j["path"] = path;
      j["error"] = {{"code", StatusCodeName(r.status().code())}, {"message", r.status().message()}};
      std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::fprintf(stderr, "%s: error: %s\n", path.c_str(), r.status().ToString().c_str());
    }
    return;
  }
  const Decision& d = *r;
  if (args.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(DecisionToJson(d));
    nlohmann::ordered_json out;
    out["path"] = path;
    for (auto& [k, v] : j.items()) out[k] = v;
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("%s  %s", path.c_str(), OutcomeName(d.outcome));
  for (const CategoryResult& c : d.categories) {
    if (std::isnan(c.score)) {
      std::printf("  %s=error(%s)", c.name.c_str(), OutcomeName(c.outcome));
    } else {
      std::printf("  %s=%.4f(%s)", c.name.c_str(), c.score, OutcomeName(c.outcome));
    }
  }
  for (const DecisionSegment& s : d.segments) {
    std::printf("  [%s %.2f-%.2fs %s]", s.category.c_str(), s.start_s, s.end_s, OutcomeName(s.outcome));
  }
  if (d.outcome != Outcome::kAllow) std::printf("  | %s", d.reason.c_str());
  std::printf("\n");
}

int RunModerate(const ModerateArgs& args) {
  const std::string policy_path = args.policy.empty() ? DefaultPolicyPath() : args.policy;
  Result<Policy> policy = LoadPolicyFile(policy_path);
  if (!policy.ok()) {
    std::fprintf(stderr, "error: %s\n", policy.status().ToString().c_str());
    return kExitSomeInputsFailed;
  }
  ModeratorOptions options;
  options.policy = *policy;
  options.common.repository = args.models_dir.empty() ? DefaultModelRepository() : args.models_dir;
  options.common.backend = args.backend;
  options.common.scaled_decode = !args.full_decode;
  options.deadline_ms = args.deadline_ms;
  options.cascade = !args.no_cascade;
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  options.workers = args.threads > 0 ? args.threads : hw;
  Result<std::unique_ptr<Moderator>> moderator = Moderator::Create(options);
  if (!moderator.ok()) {
    std::fprintf(stderr, "error: %s\n", moderator.status().ToString().c_str());
    return kExitSomeInputsFailed;
  }
  std::unique_ptr<DecisionStore> store;
  if (!args.store.empty()) {
    Result<std::unique_ptr<DecisionStore>> s = DecisionStore::Open(args.store);
    if (!s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.status().ToString().c_str());
      return kExitSomeInputsFailed;
    }
    store = std::move(*s);
  }

  // Files and directories: images and videos found in directories, files named explicitly kept.
  const std::vector<std::string> files = CollectMediaPaths(args.paths);
  if (files.empty()) {
    std::fprintf(stderr, "error: no images or videos found in the given paths\n");
    return kExitUsage;
  }

  VideoModerationOptions video;
  video.sample = args.sample;
  video.stop_early = !args.no_stop_early;
  std::vector<Slot> slots(files.size());
  std::mutex mutex;
  std::condition_variable cv;
  std::atomic<size_t> next{0};
  ProgressBar progress(files.size(), !args.json || isatty(STDERR_FILENO));
  auto decide = [&](size_t i) {
    const std::string& path = files[i];
    Result<Decision> r = LooksLikeVideoPath(path) ? (*moderator)->ModerateVideo(path, video) : (*moderator)->ModerateFile(path);
    if (r.ok() && store != nullptr) r = store->Record(*r);
    progress.Tick(!r.ok());
    std::lock_guard<std::mutex> lock(mutex);
    slots[i].decision = std::move(r);
    slots[i].ready = true;
    cv.notify_all();
  };
  // Images on N item workers; videos (each already parallel inside) by the first free worker too.
  const int workers = std::max(1, std::min<int>(options.workers, int(files.size())));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < files.size(); i = next++) decide(i);
    });
  }
  bool failed = false, flagged = false;
  for (size_t i = 0; i < files.size(); ++i) {
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return slots[i].ready; });
    const Result<Decision>& r = slots[i].decision;
    lock.unlock();
    PrintDecision(args, files[i], r);
    std::fflush(stdout);
    if (!r.ok()) failed = true;
    else if (r->outcome != Outcome::kAllow) flagged = true;
  }
  for (std::thread& t : threads) t.join();
  progress.Finish();
  if (failed) return kExitSomeInputsFailed;
  return flagged ? kExitFlagged : kExitOk;
}

}  // namespace

std::string DefaultPolicyPath() {
  if (const char* env = std::getenv("VIGIL_POLICY"); env != nullptr && *env != 0) return env;
  if (std::filesystem::exists("policies/default.yaml")) return "policies/default.yaml";
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const char* rel : {"../policies/default.yaml", "../share/vigil/policies/default.yaml",
                            "../../policies/default.yaml"}) {
      const std::filesystem::path p = exe.parent_path() / rel;
      if (std::filesystem::exists(p)) return std::filesystem::weakly_canonical(p).string();
    }
  }
  return "policies/default.yaml";
}

void AddModerateCommand(CLI::App& app) {
  auto args = std::make_shared<ModerateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "moderate",
      "Decide allow / review / block for images and videos under a moderation policy.\n"
      "Exit code: 0 all allowed, 3 any review or block, 1 errors (the other items are still decided).");
  cmd->add_option("paths", args->paths, "Image or video files, or directories")->required();
  cmd->add_option("-p,--policy", args->policy,
                  "Policy YAML (default: $VIGIL_POLICY, else policies/default.yaml beside the binary)");
  cmd->add_option("--models", args->models_dir, "Model repository (default: $VIGIL_MODELS or ./models)");
  cmd->add_option("--backend", args->backend, "auto, onednn, xnnpack or opencv");
  cmd->add_option("--store", args->store,
                  "Record decisions in this SQLite file or postgresql:// URL (idempotent per content, "
                  "policy version and model versions)");
  cmd->add_option("--sample", args->sample, "Video frame sampler: keyframes, interval:SECONDS, scene[:T], all");
  cmd->add_option("-j,--threads", args->threads, "Workers (items in parallel; default: one per core)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--deadline-ms", args->deadline_ms, "Per-item model deadline (default: the policy's)")
      ->check(CLI::Range(0, 600000));
  cmd->add_flag("--json", args->json, "One JSON object per item");
  cmd->add_flag("--no-cascade", args->no_cascade, "Run cascade models on every item (for comparison)");
  cmd->add_flag("--no-stop-early", args->no_stop_early, "Videos: score every sampled frame");
  cmd->add_flag("--full-decode", args->full_decode, "Decode JPEGs at full size (no DCT scaling)");
  cmd->callback([args] { throw CommandResult{RunModerate(*args)}; });
}

}  // namespace vigil::cli
