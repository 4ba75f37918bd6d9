// Subcommand registration for the vigil command. Each Add*Command adds one subcommand whose
// callback throws CommandResult with the process exit code (CLI11 callbacks return void).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace vigil::cli {

struct CommandResult {
  int exit_code;
};

void AddClassifyCommand(CLI::App& app);
void AddModelsCommand(CLI::App& app);
void AddImportCommand(CLI::App& app);
void AddDecodeCommand(CLI::App& app);
void AddEvalCommand(CLI::App& app);
void AddServeCommand(CLI::App& app);
void AddFeaturesCommand(CLI::App& app);
void AddTrainCommand(CLI::App& app);
void AddTagCommand(CLI::App& app);
void AddHashCommand(CLI::App& app);
void AddBankCommand(CLI::App& app);
void AddModerateCommand(CLI::App& app);
void AddPolicyCommand(CLI::App& app);

// $VIGIL_POLICY, else ./policies/default.yaml, else policies/default.yaml beside the executable's
// checkout or install prefix.
std::string DefaultPolicyPath();

}  // namespace vigil::cli
