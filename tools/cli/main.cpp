// vigil: command-line front end (argv -> options -> library -> text/JSON).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>

#include "cli_common.h"
#include "commands.h"
#include "vigil/log.h"

int main(int argc, char** argv) {
  // OpenCV (inside the image decoders) logs warnings about corrupt files to stderr; the CLI reports
  // those files itself, so keep OpenCV quiet unless the user asked otherwise.
  setenv("OPENCV_LOG_LEVEL", "ERROR", /*overwrite=*/0);
  CLI::App app{"vigil: classify, tag and moderate images and videos, offline"};
  app.set_version_flag("--version", "vigil 0.1.0");
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "Log library messages to stderr");
  vigil::cli::AddClassifyCommand(app);
  vigil::cli::AddModelsCommand(app);
  vigil::cli::AddImportCommand(app);
  vigil::cli::AddDecodeCommand(app);
  vigil::cli::AddEvalCommand(app);
  vigil::cli::AddServeCommand(app);
  vigil::cli::AddFeaturesCommand(app);
  vigil::cli::AddTrainCommand(app);
  vigil::cli::AddTagCommand(app);
  vigil::cli::AddHashCommand(app);
  vigil::cli::AddBankCommand(app);
  vigil::cli::AddModerateCommand(app);
  vigil::cli::AddPolicyCommand(app);
  app.parse_complete_callback([&]() {
    vigil::SetLogLevel(verbose ? vigil::LogLevel::kDebug : vigil::LogLevel::kWarning);
    vigil::SetLogSink([](vigil::LogLevel, const std::string& message) {
      std::fprintf(stderr, "vigil: %s\n", message.c_str());
    });
  });
  try {
    app.parse(argc, argv);
  } catch (const vigil::cli::CommandResult& result) {
    return result.exit_code;
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : vigil::cli::kExitUsage;
  }
  return 0;
}
