// `vigil decode IMAGE --model NAME -o OUT.rgb`: write the RGB pixels exactly as the classifier
// decodes them for that model (EXIF orientation, JPEG DCT scaling), for parity tests and debugging.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_common.h"
#include "commands.h"
#include "vigil/classifier.h"
#include "vigil/model_repository.h"

namespace vigil::cli {
namespace {

struct DecodeArgs {
  std::string image;
  std::string model;
  std::string models_dir;
  std::string out;
  bool full_decode = false;
};

int RunDecode(const DecodeArgs& args) {
  DecodeOptions options;
  if (!args.model.empty() && !args.full_decode) {
    auto ref = ParseModelRef(args.model);
    if (!ref.ok()) return ReportError(ref.status());
    auto repo = ModelRepository::Open(args.models_dir.empty() ? DefaultModelRepository()
                                                              : args.models_dir);
    if (!repo.ok()) return ReportError(repo.status());
    auto entry = (*repo)->Find(*ref);
    if (!entry.ok()) return ReportError(entry.status());
    options.min_width = entry->manifest.input.width;
    options.min_height = entry->manifest.input.height;
  }
  DecodeInfo info;
  auto image = ReadImageFile(args.image, options, &info);
  if (!image.ok()) return ReportError(image.status());
  if (!args.out.empty()) {
    std::ofstream out(args.out, std::ios::binary);
    out.write(reinterpret_cast<const char*>(image->pixels.data()), image->pixels.size());
    if (!out) return ReportError(InternalError("cannot write " + args.out));
  }
  nlohmann::json j = {{"width", image->width},
                      {"height", image->height},
                      {"format", info.format},
                      {"source_width", info.source_width},
                      {"source_height", info.source_height},
                      {"scale_denominator", info.scale_denominator},
                      {"exif_orientation", info.exif_orientation},
                      {"had_alpha", info.had_alpha}};
  std::printf("%s\n", j.dump().c_str());
  return kExitOk;
}

}  // namespace

void AddDecodeCommand(CLI::App& app) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand("decode", "Decode an image as the classifier would; print its facts");
  cmd->add_option("image", args->image, "Image file")->required();
  cmd->add_option("-m,--model", args->model, "Decode for this model's input size (DCT scaling)");
  cmd->add_option("--models", args->models_dir, "Model repository");
  cmd->add_option("-o,--out", args->out, "Write raw 8-bit RGB pixels here");
  cmd->add_flag("--full-decode", args->full_decode, "Decode JPEGs at full size");
  cmd->callback([args]() { throw CommandResult{RunDecode(*args)}; });
}

}  // namespace vigil::cli
