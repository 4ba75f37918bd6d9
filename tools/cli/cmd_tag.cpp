// `vigil tag VIDEO...`: tag videos with one or more models (VideoTagger): video-level labels, time
// segments per label, shots, optional per-frame results. Videos are tagged one after the other;
// each uses two threads (decode, inference). Per-file errors are reported (JSON with --json) and
// the run continues; exit code 1 if any video failed.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "vigil/video_tagger.h"

namespace vigil::cli {
namespace {

struct TagArgs {
  std::vector<std::string> paths;
  std::vector<std::string> models;
  std::string models_dir;
  std::string backend = "auto";
  std::string sampler = "keyframes";
  int max_frames = 0;
  std::string aggregate = "mean";
  int top_k = 3;
  float threshold = 0.5f;
  std::vector<std::string> label_thresholds;  // LABEL=VALUE
  std::string smoothing = "none";
  double smoothing_window = 1.0;
  double merge_gap = 0;
  double min_segment = 0;
  int batch = 8;
  int decode_threads = 0;
  bool shots = false;
  bool json = false;
  bool pretty = false;
  bool frames = false;
  int frame_top_k = 5;
  std::string thumbnails;
  double budget = 0;
};

Result<VideoTaggerOptions> MakeOptions(const TagArgs& a) {
  VideoTaggerOptions o;
  o.common.repository = a.models_dir.empty() ? DefaultModelRepository() : a.models_dir;
  if (!a.models.empty()) o.models = a.models;
  o.common.backend = a.backend;
  o.sampler = a.sampler;
  o.max_frames = a.max_frames;
  VIGIL_ASSIGN_OR_RETURN(o.aggregate.method, ParseAggregateMethod(a.aggregate));
  o.aggregate.top_k = a.top_k;
  o.threshold = a.threshold;
  for (const std::string& lt : a.label_thresholds) {
    const size_t eq = lt.rfind('=');
    char* end = nullptr;
    const float v = eq == std::string::npos ? 0 : std::strtof(lt.c_str() + eq + 1, &end);
    if (eq == std::string::npos || eq == 0 || !end || *end != '\0' || end == lt.c_str() + eq + 1) {
      return InvalidArgumentError("--label-threshold wants LABEL=VALUE, got \"" + lt + "\"");
    }
    o.label_thresholds[lt.substr(0, eq)] = v;
  }
  VIGIL_ASSIGN_OR_RETURN(o.smoothing.kind, ParseSmoothingKind(a.smoothing));
  o.smoothing.window_s = a.smoothing_window;
  o.merge_gap_s = a.merge_gap;
  o.min_segment_s = a.min_segment;
  o.batch_size = a.batch;
  o.decode_threads = a.decode_threads;
  o.detect_shots = a.shots;
  o.load_in_background = true;  // the first video opens and decodes while the models load
  o.keep_frames = a.frames;
  o.thumbnails_dir = a.thumbnails;
  o.time_budget_s = a.budget;
  return o;
}

void PrintText(const VideoTags& t) {
  std::printf("%s  %.2f s %dx%d %s, %lld frames (%s), %.2f s\n", t.path.c_str(), t.info.duration_s,
              t.info.width, t.info.height, t.info.codec.c_str(), (long long)t.frames_sampled,
              t.sampler.c_str(), t.timings.total_s);
  for (const ModelTags& m : t.models) {
    std::printf("  %s:%d\n", m.model.c_str(), m.version);
    for (const VideoLabel& l : m.labels) {
      if (!l.present && l.confidence < 0.01f) continue;
      std::printf("    %-16s %.3f%s", l.label.c_str(), l.confidence, l.present ? " *" : "  ");
      int shown = 0;
      for (const TaggedSegment& s : m.segments) {
        if (s.label != l.label) continue;
        if (shown++ < 4) std::printf("  %.1f-%.1f s", s.start_s, s.end_s);
      }
      if (shown > 4) std::printf("  (+%d)", shown - 4);
      std::printf("\n");
    }
  }
  if (!t.shots.empty()) std::printf("  %zu shots\n", t.shots.size());
  for (const std::string& n : t.notes) std::printf("  note: %s\n", n.c_str());
}

int RunTag(const TagArgs& args) {
  auto options = MakeOptions(args);
  if (!options.ok()) {
    std::fprintf(stderr, "error: %s\n", options.status().ToString().c_str());
    return kExitUsage;
  }
  auto tagger = VideoTagger::Create(*options);
  if (!tagger.ok()) return ReportError(tagger.status());
  const std::vector<std::string> files = CollectVideoPaths(args.paths);
  if (files.empty()) {
    std::fprintf(stderr, "error: no videos found in the given paths\n");
    return kExitUsage;
  }
  VideoTagsJsonOptions json_options;
  json_options.frames = args.frames;
  json_options.frame_top_k = args.frame_top_k;
  json_options.pretty = args.pretty;
  ProgressBar progress(files.size(), true);
  // Within one video: a percentage line on a terminal (the bar above counts whole videos).
  const bool tty = isatty(STDERR_FILENO) != 0;
  size_t failed = 0;
  double video_seconds = 0, wall_seconds = 0;
  for (const std::string& path : files) {
    TagControl control;
    if (tty) {
      control.progress = [&](double f) {
        std::fprintf(stderr, "\r%3d%% %s ", int(f * 100), path.c_str());
        std::fflush(stderr);
      };
    }
    Result<VideoTags> tags = (*tagger)->Tag(path, control);
    if (tty) std::fprintf(stderr, "\r\033[K");
    progress.Tick(!tags.ok());
    if (!tags.ok()) {
      ++failed;
      if (args.json) {
        nlohmann::json j = {{"path", path},
                            {"error",
                             {{"code", StatusCodeName(tags.status().code())},
                              {"message", tags.status().message()}}}};
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else {
        std::fprintf(stderr, "%s: error: %s\n", path.c_str(), tags.status().ToString().c_str());
      }
      std::fflush(stdout);
      continue;
    }
    video_seconds += tags->info.duration_s;
    wall_seconds += tags->timings.total_s;
    if (args.json) {
      std::printf("%s\n", VideoTagsToJson(*tags, json_options).c_str());
    } else {
      PrintText(*tags);
    }
    std::fflush(stdout);
  }
  progress.Finish();
  std::fprintf(stderr, "tagged %zu of %zu videos (%.1f s of video) in %.2f s: %.1fx realtime%s\n",
               files.size() - failed, files.size(), video_seconds, wall_seconds,
               wall_seconds > 0 ? video_seconds / wall_seconds : 0.0,
               failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  return failed ? kExitSomeInputsFailed : kExitOk;
}

}  // namespace

void AddTagCommand(CLI::App& app) {
  auto a = std::make_shared<TagArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tag", "Tag videos: video-level labels, time segments per label, shots, frame results");
  cmd->add_option("videos", a->paths, "Video files or directories")->required();
  OneValuePerFlag(cmd->add_option("-m,--model", a->models,
                  "Model NAME or NAME:VERSION (repeatable; classifiers, detectors, clip models; "
                  "default nsfw_mobilenet_v2)"));
  cmd->add_option("--models", a->models_dir,
                  "Model repository (default: $VIGIL_MODELS, ./models, or next to the binary)");
  cmd->add_option("--backend", a->backend, "Inference backend")
      ->check(CLI::IsMember({"auto", "xnnpack", "onednn", "opencv"}))
      ->capture_default_str();
  cmd->add_option("-s,--sampler", a->sampler,
                  "Frames to analyse: keyframes (at most 1 per second), keyframes:MIN_GAP_SECONDS (0 = every key "
                  "frame), interval:SECONDS, scene[:THRESHOLD], all")
      ->capture_default_str();
  cmd->add_option("--max-frames", a->max_frames, "Stop after this many sampled frames (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--aggregate", a->aggregate, "Video/shot aggregation: mean, max, vote, topk")
      ->check(CLI::IsMember({"mean", "max", "vote", "topk"}))
      ->capture_default_str();
  cmd->add_option("--top-k", a->top_k, "K of --aggregate topk (mean of each label's K best frames)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--threshold", a->threshold, "Label threshold for segments and presence")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  OneValuePerFlag(cmd->add_option("--label-threshold", a->label_thresholds, "Per-label threshold LABEL=VALUE (repeatable)"));
  cmd->add_option("--smoothing", a->smoothing, "Temporal smoothing: none, moving-average, ema")
      ->check(CLI::IsMember({"none", "moving-average", "ma", "ema"}))
      ->capture_default_str();
  cmd->add_option("--smoothing-window", a->smoothing_window,
                  "Moving-average window / EMA time constant, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--merge-gap", a->merge_gap, "Merge segments of a label closer than this (s)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--min-segment", a->min_segment, "Drop segments shorter than this (s)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--batch", a->batch, "Frames per inference call")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--decode-threads", a->decode_threads, "FFmpeg decoding threads (0 = auto)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--shots", a->shots,
                "Detect shots (decodes every frame) and label each shot");
  cmd->add_flag("--json", a->json, "One JSON object per video on stdout");
  cmd->add_flag("--pretty", a->pretty, "Indent the JSON");
  cmd->add_flag("--frames", a->frames, "Include per-frame results (frameLabelAnnotations)");
  cmd->add_option("--frame-top-k", a->frame_top_k, "Labels per frame in --frames output (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--thumbnails", a->thumbnails, "Write shot and segment thumbnails (JPEG) here");
  cmd->add_option("--budget", a->budget, "Wall-clock budget per video in seconds (0 = none)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([a]() { throw CommandResult{RunTag(*a)}; });
}

}  // namespace vigil::cli
