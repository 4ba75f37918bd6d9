// `vigil hash PATH... [--json] [--dihedral]`: PDQ hashes of image files and directories, thin over
// include/vigil/hashing.h. Text: `hash,quality,path` per image (the reference pdq-photo-hasher's
// format), with --dihedral 8 lines per image `hash,quality,path,xform`; --json: one object per image
// {"path", "hash", "quality"} plus "dihedral": {xform: hash}. Videos (by extension) are sampled
// every --interval seconds (include/vigil/video_hash.h): text `hash,quality,path,start_s,end_s` per
// kept frame (runs of near-identical frames collapsed, low-quality frames dropped); --json one
// object per video with "frames": [{start_s, end_s, frames, hash, quality}]. Unreadable inputs are
// reported per file and set exit code 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "vigil/hashing.h"
#include "vigil/video_hash.h"

namespace vigil::cli {
namespace {

struct HashArgs {
  std::vector<std::string> paths;
  bool json = false;
  bool dihedral = false;
  bool full_resolution = false;
  bool exif = false;
  int jpeg_min_side = PdqOptions{}.jpeg_min_side;
  VideoHashOptions video;
};

void PrintLine(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

void PrintError(const HashArgs& args, const std::string& path, const Status& status) {
  if (args.json) {
    PrintLine({{"path", path},
               {"error", {{"code", StatusCodeName(status.code())}, {"message", status.message()}}}});
  } else {
    std::fprintf(stderr, "%s: error: %s\n", path.c_str(), status.ToString().c_str());
  }
}

Status HashVideo(const HashArgs& args, const std::string& path) {
  VIGIL_ASSIGN_OR_RETURN(VideoHash v, HashVideoFile(path, args.video));
  if (args.json) {
    nlohmann::json frames = nlohmann::json::array();
    for (const VideoFrameHash& f : v.frames) {
      frames.push_back({{"start_s", f.start_s}, {"end_s", f.end_s}, {"frames", f.frames},
                        {"hash", f.hash.ToHex()}, {"quality", f.quality}});
    }
    PrintLine({{"path", path}, {"video", true}, {"duration_s", v.info.duration_s},
               {"sampled_frames", v.sampled_frames}, {"low_quality_frames", v.low_quality_frames},
               {"frames", frames}});
  } else {
    for (const VideoFrameHash& f : v.frames) {
      std::printf("%s,%d,%s,%.3f,%.3f\n", f.hash.ToHex().c_str(), f.quality, path.c_str(), f.start_s, f.end_s);
    }
  }
  std::fflush(stdout);
  return Status::Ok();
}

Status HashOne(const HashArgs& args, const PdqOptions& options, const std::string& path) {
  if (LooksLikeVideoPath(path)) return HashVideo(args, path);
  if (args.dihedral) {
    VIGIL_ASSIGN_OR_RETURN(PdqDihedralResult r, HashFileDihedral(path, options));
    if (args.json) {
      nlohmann::json dihedral = nlohmann::json::object();
      for (int d = 0; d < kPdqDihedralCount; ++d) {
        dihedral[PdqDihedralName(static_cast<PdqDihedral>(d))] = r.hashes[d].ToHex();
      }
      PrintLine({{"path", path}, {"hash", r.hashes[0].ToHex()}, {"quality", r.quality}, {"dihedral", dihedral}});
    } else {
      for (int d = 0; d < kPdqDihedralCount; ++d) {
        std::printf("%s,%d,%s,%s\n", r.hashes[d].ToHex().c_str(), r.quality, path.c_str(),
                    PdqDihedralName(static_cast<PdqDihedral>(d)));
      }
    }
  } else {
    VIGIL_ASSIGN_OR_RETURN(PdqResult r, HashFile(path, options));
    if (args.json) {
      PrintLine({{"path", path}, {"hash", r.hash.ToHex()}, {"quality", r.quality}});
    } else {
      std::printf("%s,%d,%s\n", r.hash.ToHex().c_str(), r.quality, path.c_str());
    }
  }
  std::fflush(stdout);
  return Status::Ok();
}

int RunHash(const HashArgs& args) {
  PdqOptions options;
  options.resize = args.full_resolution ? PdqResize::kFullResolution : PdqResize::kReferenceCpp;
  options.apply_exif_orientation = args.exif;
  options.jpeg_min_side = args.jpeg_min_side;
  const std::vector<std::string> files = CollectMediaPaths(args.paths);
  if (files.empty()) {
    std::fprintf(stderr, "error: no images or videos found in the given paths\n");
    return kExitUsage;
  }
  ProgressBar progress(files.size(), !args.json);
  size_t failed = 0;
  for (const std::string& path : files) {
    const Status status = HashOne(args, options, path);
    if (!status.ok()) {
      ++failed;
      PrintError(args, path, status);
    }
    progress.Tick(!status.ok());
  }
  progress.Finish();
  return failed ? kExitSomeInputsFailed : kExitOk;
}

}  // namespace

void AddVideoHashOptions(CLI::App* cmd, VideoHashOptions* options) {
  cmd->add_option("--interval", options->interval_s, "Videos: seconds between hashed frames (0 = every frame)")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--dedupe-distance", options->dedupe_distance,
                  "Videos: a frame this close to the previous kept one extends its run (-1 = keep all)")
      ->check(CLI::Range(-1, 256))
      ->capture_default_str();
  cmd->add_option("--frame-quality-floor", options->quality_floor, "Videos: drop frames of lower quality")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
}

void AddHashCommand(CLI::App& app) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd = app.add_subcommand(
      "hash", "PDQ perceptual hashes (Meta's 256-bit hash, as the reference pdq-photo-hasher) of images "
              "and of sampled video frames");
  cmd->add_option("paths", args->paths, "Image or video files, or directories")->required();
  cmd->add_flag("--json", args->json, "One JSON object per input on stdout");
  cmd->add_flag("--dihedral", args->dihedral,
                "Also the hashes of the 7 rotations and flips (orig, rot90, rot180, rot270, flipx, "
                "flipy, flipp, flipm), from one decode");
  cmd->add_flag("--full-resolution", args->full_resolution,
                "Filter the full-resolution image as the Java/Python ports do, instead of the C++ "
                "reference's 512x512 resize of larger images");
  cmd->add_flag("--exif", args->exif,
                "Apply the EXIF orientation first (the reference and shared lists hash pixels as "
                "stored; see docs/hashing.md)");
  cmd->add_option("--jpeg-min-side", args->jpeg_min_side,
                  "Decode JPEGs DCT-scaled down to this shorter side (0 = full size)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  AddVideoHashOptions(cmd, &args->video);
  cmd->callback([args]() { throw CommandResult{RunHash(*args)}; });
}

}  // namespace vigil::cli
