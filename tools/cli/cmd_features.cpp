// `vigil features PATH... [--json]`: classical descriptors (colour histograms, edges, LBP, HOG) of
// image files and directories. Text: one line per image with block names and dimensions; --json: one
// object per image {"path", "features": {block: [values]}, "dimension"} (plus "vector" with
// --vector: the ComputeFeatureVector values). Unreadable inputs are reported per file, as `vigil classify` does, and set exit code 1.
#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "vigil/features.h"
#include "vigil/image.h"

namespace vigil::cli {
namespace {

struct FeaturesArgs {
  std::vector<std::string> paths;
  bool json = false;
  bool vector = false;
  std::vector<std::string> blocks;
  int resize_to = FeatureOptions{}.resize_to;
  bool scaled_decode = false;
  int64_t max_pixels = DecodeOptions{}.max_pixels;
  size_t max_bytes = DecodeOptions{}.max_bytes;
};

// Floats as JSON numbers with the shortest decimal form that reads back as the same float
// (nlohmann would print the float widened to double: 0.2949066162109375 instead of 0.2949066).
nlohmann::json ShortFloats(const std::vector<float>& values) {
  nlohmann::json out = nlohmann::json::array();
  char buffer[64];
  for (float v : values) {
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer) - 1, v);
    *end = '\0';
    out.push_back(ec == std::errc() ? std::strtod(buffer, nullptr) : double(v));
  }
  return out;
}

void PrintError(const FeaturesArgs& args, const std::string& path, const Status& status) {
  if (args.json) {
    nlohmann::json j;
    j["path"] = path;
    j["error"] = {{"code", StatusCodeName(status.code())}, {"message", status.message()}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "%s: error: %s\n", path.c_str(), status.ToString().c_str());
  }
}

void PrintFeatures(const FeaturesArgs& args, const FeatureOptions& options, const std::string& path,
                   const std::vector<FeatureBlock>& blocks) {
  size_t dimension = 0;
  for (const FeatureBlock& b : blocks) dimension += b.values.size();
  if (args.json) {
    nlohmann::json j;
    j["path"] = path;
    nlohmann::json features = nlohmann::json::object();
    for (const FeatureBlock& b : blocks) features[b.name] = ShortFloats(b.values);
    j["features"] = std::move(features);
    j["dimension"] = dimension;
    if (args.vector) j["vector"] = ShortFloats(ConcatenateFeatureBlocks(blocks, options.vector_sqrt, options.vector_block_norm));
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("%s", path.c_str());
    for (const FeatureBlock& b : blocks) std::printf("  %s[%zu]", b.name.c_str(), b.values.size());
    std::printf("  dimension %zu\n", dimension);
  }
  std::fflush(stdout);
}

int RunFeatures(const FeaturesArgs& args) {
  FeatureOptions options;
  options.resize_to = args.resize_to;
  options.blocks = args.blocks;
  if (Status s = ValidateFeatureOptions(options); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return kExitUsage;
  }
  DecodeOptions decode;
  decode.max_pixels = args.max_pixels;
  decode.max_bytes = args.max_bytes;
  if (args.scaled_decode && args.resize_to > 0) decode.min_width = decode.min_height = args.resize_to;

  const std::vector<std::string> files = CollectImagePaths(args.paths);
  if (files.empty()) {
    std::fprintf(stderr, "error: no images found in the given paths\n");
    return kExitUsage;
  }
  ProgressBar progress(files.size(), true);
  const auto start = std::chrono::steady_clock::now();
  size_t failed = 0;
  for (const std::string& path : files) {
    Status status;
    auto image = ReadImageFile(path, decode);
    if (image.ok()) {
      auto blocks = ComputeFeatures(*image, options);
      if (blocks.ok()) {
        PrintFeatures(args, options, path, *blocks);
      } else {
        status = blocks.status();
      }
    } else {
      status = image.status();
    }
    if (!status.ok()) {
      ++failed;
      PrintError(args, path, status);
    }
    progress.Tick(!status.ok());
  }
  progress.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "features of %zu of %zu images (%d values each) in %.2f s: %.1f img/s%s\n",
               files.size() - failed, files.size(), FeatureDimension(options).value(), seconds,
               seconds > 0 ? files.size() / seconds : 0.0,
               failed ? (", " + std::to_string(failed) + " failed").c_str() : "");
  return failed ? kExitSomeInputsFailed : kExitOk;
}

}  // namespace

void AddFeaturesCommand(CLI::App& app) {
  auto args = std::make_shared<FeaturesArgs>();
  std::string block_help = "Blocks to compute (default: all):";
  for (const std::string& name : FeatureBlockNames()) block_help += " " + name;
  CLI::App* cmd = app.add_subcommand(
      "features", "Classical descriptors (colour histograms, Sobel/Canny edges, LBP, HOG) of images");
  cmd->add_option("paths", args->paths, "Image files or directories")->required();
  cmd->add_flag("--json", args->json, "One JSON object per input on stdout, with the values");
  cmd->add_flag("--vector", args->vector,
                "With --json, add \"vector\": the blocks square-rooted, L2-normalised and concatenated "
                "(ComputeFeatureVector)");
  OneValuePerFlag(cmd->add_option("--blocks", args->blocks, block_help))->delimiter(',');
  cmd->add_option("--resize", args->resize_to, "Longest side the image is resized to (0 = none)")
      ->check(CLI::Range(0, 16384))
      ->capture_default_str();
  cmd->add_flag("--scaled-decode", args->scaled_decode,
                "Let JPEGs decode with DCT scaling down to the --resize size (faster, slightly "
                "different values)");
  cmd->add_option("--max-pixels", args->max_pixels, "Refuse images with more pixels")
      ->capture_default_str();
  cmd->add_option("--max-bytes", args->max_bytes, "Refuse files larger than this")
      ->capture_default_str();
  cmd->callback([args]() { throw CommandResult{RunFeatures(*args)}; });
}

}  // namespace vigil::cli
