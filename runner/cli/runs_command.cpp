// `drydock runs` and `drydock report [N]`: the run records of the
// repository holding the current directory (or, outside git, of this
// folder), as record/run_record.hpp lays them out.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "docker/leftovers.hpp"
#include "os/git.hpp"
#include "os/process.hpp"
#include "record/run_record.hpp"

namespace fs = std::filesystem;

namespace drydock::cli {

std::string runs_dir_here()
{
  std::error_code ec;
  const std::string here = fs::current_path(ec).string();
  const char* home = std::getenv("HOME");
  return record::runs_dir_for(os::read_repo_facts(here).git_dir, here, home == nullptr ? "/root" : home);
}

bool run_owner_alive(const std::string& owner)
{
  int pid = 0;
  unsigned long long start = 0;
  if (std::sscanf(owner.c_str(), "%d:%llu", &pid, &start) < 1) {
    return false;
  }
  return docker::owner_alive(pid, start);
}

namespace {

struct ReportOptions {
  std::optional<int> number;
  bool open = false;
};

int run_runs()
{
  fmt::print("{}", record::format_runs(record::list_runs(runs_dir_here(), run_owner_alive)));
  return kExitOk;
}

// xdg-open, only where a desktop can show it.
int open_report(const std::string& path)
{
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((display == nullptr || *display == '\0') && (wayland == nullptr || *wayland == '\0')) {
    fmt::print(stderr,
               "drydock report: --open: no display ($DISPLAY and $WAYLAND_DISPLAY are unset); open {} "
               "in a browser\n",
               path);
    return kExitStepFailed;
  }
  const auto result = os::run_passthrough({"xdg-open", path}, ".");
  if (!result || *result != 0) {
    fmt::print(stderr, "drydock report: xdg-open {} failed: {}\n", path,
               result ? fmt::format("exit {}", *result) : result.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

int run_report(const ReportOptions& options)
{
  const auto runs = record::list_runs(runs_dir_here(), run_owner_alive);
  const auto found = std::find_if(runs.begin(), runs.end(), [&](const record::RunSummary& run) {
    return !options.number || run.number == *options.number;
  });
  if (found == runs.end()) {
    fmt::print(stderr, "drydock report: {} in {}\n",
               options.number ? fmt::format("no record of run {}", *options.number) : "no run recorded",
               runs_dir_here());
    return kExitStepFailed;
  }
  const std::string path = record::RecordPaths{found->dir}.report();
  fmt::print("{}\n", path);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    fmt::print(stderr,
               "drydock report: {} does not exist yet: this drydock writes no HTML report; run {}'s record is {}\n",
               path, found->number, found->dir);
    return kExitStepFailed;
  }
  return options.open ? open_report(path) : kExitOk;
}

} // namespace

Action add_runs_command(CLI::App& app)
{
  app.add_subcommand("runs", "List the run records of this repository (or folder), newest first: number, commit, "
                             "branch, result and duration.");
  return [] { return run_runs(); };
}

Action add_report_command(CLI::App& app)
{
  auto options = std::make_shared<ReportOptions>();
  auto* sub = app.add_subcommand("report", "Print the path of a run's report.html (the newest run's by default).");
  sub->add_option("N", options->number, "The run's build number");
  sub->add_flag("--open", options->open, "Open it with xdg-open (when $DISPLAY or $WAYLAND_DISPLAY is set)");
  return [options] { return run_report(*options); };
}

} // namespace drydock::cli
