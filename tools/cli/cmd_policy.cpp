// `vigil policy validate|show|fit`: check a moderation policy against the model repository, print
// its normalised form and version, and fit its thresholds to a recall or precision target on
// labelled data (vigil/policy_fit.h).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "vigil/moderation.h"
#include "vigil/policy_fit.h"

namespace vigil::cli {
namespace {

struct PolicyArgs {
  std::string policy;
  std::string models_dir;
  std::string data;
  std::string target;
  std::string out;
  std::string report;
  double test_fraction = 0.3;
  int bootstrap = 1000;
  int seed = 1;
  int threads = 0;
  bool json = false;
};

Result<Policy> Load(const PolicyArgs& a) { return LoadPolicyFile(a.policy.empty() ? DefaultPolicyPath() : a.policy); }

int RunValidate(const PolicyArgs& a) {
  Result<Policy> p = Load(a);
  if (!p.ok()) return ReportError(p.status());
  ModeratorOptions o;
  o.policy = *p;
  o.common.repository = a.models_dir.empty() ? DefaultModelRepository() : a.models_dir;
  o.workers = 1;
  Result<std::unique_ptr<Moderator>> m = Moderator::Create(o);  // loads the models: checks names and labels
  if (!m.ok()) return ReportError(m.status());
  std::printf("ok  policy %s, %zu categories, models:", p->name.c_str(), p->categories.size());
  for (const ModelVersion& v : (*m)->models()) std::printf(" %s:%d", v.name.c_str(), v.version);
  std::printf("\nversion %s\n", p->version.c_str());
  return kExitOk;
}

int RunShow(const PolicyArgs& a) {
  Result<Policy> p = Load(a);
  if (!p.ok()) return ReportError(p.status());
  std::printf("# version %s\n%s", p->version.c_str(), NormalizedPolicyYaml(*p).c_str());
  return kExitOk;
}

int RunFit(const PolicyArgs& a) {
  Result<Policy> p = Load(a);
  if (!p.ok()) return ReportError(p.status());
  PolicyFitOptions o;
  o.data_dir = a.data;
  o.models.repository = a.models_dir.empty() ? DefaultModelRepository() : a.models_dir;
  o.test_fraction = a.test_fraction;
  o.bootstrap = a.bootstrap;
  o.seed = uint64_t(a.seed);
  o.workers = a.threads;
  if (!a.target.empty()) {
    Result<PolicyTarget> t = ParsePolicyTarget(a.target);
    if (!t.ok()) return ReportError(t.status());
    o.target = *t;
  }
  Result<PolicyFit> fit = FitPolicy(*p, o);
  if (!fit.ok()) return ReportError(fit.status());
  if (!a.out.empty()) {
    std::ofstream out(a.out, std::ios::binary);
    out << "# fitted by vigil policy fit (" << a.target << ") on " << a.data << "\n" << NormalizedPolicyYaml(fit->policy);
    if (!out) return ReportError(UnavailableError("cannot write " + a.out));
  }
  if (!a.report.empty()) {
    Status s = WritePolicyFitReport(*fit, a.report);
    if (!s.ok()) return ReportError(s);
  }
  std::printf("%s\n", a.json ? PolicyFitToJson(*fit).c_str() : PolicyFitToText(*fit).c_str());
  return kExitOk;
}

}  // namespace

void AddPolicyCommand(CLI::App& app) {
  auto args = std::make_shared<PolicyArgs>();
  CLI::App* cmd = app.add_subcommand("policy", "Check, show and fit moderation policies");
  cmd->require_subcommand(1);
  auto common = [&](CLI::App* sub) {
    sub->add_option("-p,--policy", args->policy, "Policy YAML (default: $VIGIL_POLICY or policies/default.yaml)");
    sub->add_option("--models", args->models_dir, "Model repository (default: $VIGIL_MODELS or ./models)");
  };
  CLI::App* validate = cmd->add_subcommand("validate", "Parse the policy and check its models and labels");
  common(validate);
  validate->callback([args] { throw CommandResult{RunValidate(*args)}; });
  CLI::App* show = cmd->add_subcommand("show", "Print the normalised policy and its version");
  common(show);
  show->callback([args] { throw CommandResult{RunShow(*args)}; });
  CLI::App* fit = cmd->add_subcommand(
      "fit",
      "Fit each category's review_at/block_at to a target on labelled data: DIR/<category>/positive and\n"
      "DIR/<category>/negative hold images (a category without a folder keeps its thresholds)");
  common(fit);
  fit->add_option("--data", args->data, "Labelled data folder")->required();
  fit->add_option("--target", args->target,
                  "recall>=R or precision>=P for every fitted category (default: each category's target)");
  fit->add_option("--out", args->out, "Write the fitted policy here");
  fit->add_option("--report", args->report, "Write report.html and fit.json into this folder");
  fit->add_option("--test-fraction", args->test_fraction, "Held-out share per category and class")
      ->check(CLI::Range(0.05, 0.9));
  fit->add_option("--bootstrap", args->bootstrap, "Bootstrap resamples for confidence intervals")
      ->check(CLI::Range(0, 100000));
  fit->add_option("--seed", args->seed, "Split and bootstrap seed");
  fit->add_option("-j,--threads", args->threads, "Workers (default: one per core)")->check(CLI::Range(0, 256));
  fit->add_flag("--json", args->json, "Print the fit as JSON");
  fit->callback([args] { throw CommandResult{RunFit(*args)}; });
}

}  // namespace vigil::cli
