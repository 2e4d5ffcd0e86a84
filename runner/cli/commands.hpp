#pragma once
// Sub-commands of the drydock executable; each registers its options on a
// CLI11 sub-app and returns an exit code when run.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace drydock::cli {

// Documented exit codes (README, --help).
enum ExitCode : int {
  kExitOk = 0,
  kExitStepFailed = 1,
  kExitConfigOrUsage = 2,
  kExitInternal = 70,
  kExitInterrupted = 130,
};

using Action = std::function<int()>;

// Each adds its sub-command to app; the returned action runs it once parsed.
Action add_validate_command(CLI::App& app);
Action add_plan_command(CLI::App& app);
Action add_run_command(CLI::App& app);
Action add_explain_command(CLI::App& app);
Action add_tag_command(CLI::App& app);
Action add_clean_command(CLI::App& app);
Action add_runs_command(CLI::App& app);
Action add_report_command(CLI::App& app);
Action add_internal_command(CLI::App& app);
Action add_agent_command(CLI::App& app);
Action add_orb_command(CLI::App& app);

// `drydock tag`'s arguments (after "tag") so that CLI11 groups them as
// docker-ci-deploy's argparse does.
std::vector<std::string> tag_arguments_as_dcd_reads_them(std::vector<std::string> args);

// The run records of the repository holding the current directory, or of
// this folder outside git (record::runs_dir_for).
std::string runs_dir_here();

// Whether the drydock that wrote a record ("PID:START") still runs.
bool run_owner_alive(const std::string& owner);

// `drydock clean` without the run records: what died runs left (an agent
// restarted after a kill -9 calls it), each line it has to say told to `say`.
int clean_leftovers_of_dead_runs(const std::function<void(const std::string&)>& say);

int run_main(int argc, char** argv);

} // namespace drydock::cli
