// `vigil hash PATH... [--json] [--dihedral]`: PDQ hashes of image files and directories, thin over
// include/vigil/hashing.h. Text: `hash,quality,path` per image (the reference pdq-photo-hasher's
// format), with --dihedral 8 lines per image `hash,quality,path,xform`; --json: one object per image
// {"path", "hash", "quality"} plus "dihedral": {xform: hash}. Unreadable inputs are reported per
// file and set exit code 1.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "vigil/hashing.h"

namespace vigil::cli {
namespace {

struct HashArgs {
  std::vector<std::string> paths;
  bool json = false;
  bool dihedral = false;
  bool full_resolution = false;
  bool exif = false;
  int jpeg_min_side = PdqOptions{}.jpeg_min_side;
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

Status HashOne(const HashArgs& args, const PdqOptions& options, const std::string& path) {
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
  const std::vector<std::string> files = CollectImagePaths(args.paths);
  if (files.empty()) {
    std::fprintf(stderr, "error: no images found in the given paths\n");
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

void AddHashCommand(CLI::App& app) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd = app.add_subcommand(
      "hash", "PDQ perceptual hashes (Meta's 256-bit hash, as the reference pdq-photo-hasher) of images");
  cmd->add_option("paths", args->paths, "Image files or directories")->required();
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
  cmd->callback([args]() { throw CommandResult{RunHash(*args)}; });
}

}  // namespace vigil::cli
