// `drydock clean`: removes what runs left behind when they could not clean
// up themselves (kill -9, a crash, a lost machine): containers, networks and
// volumes carrying drydock's run label, throwaway cluster directories and
// the run records of this repository, whose drydock is no longer running. Resources of runs still going are
// kept unless --all.
#include <fmt/format.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "docker/leftovers.hpp"
#include "record/run_record.hpp"
#include "services/postgres_cluster.hpp"

namespace drydock::cli {
namespace {

using Say = std::function<void(const std::string&)>;

struct CleanOptions {
  bool all = false;
  bool dry_run = false;
  bool records = true; // the died runs' records of the repository here too
  Say say = [](const std::string& line) { fmt::print("{}\n", line); };
  Say warn = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
};

// Records of this repository's runs that died (no run_finished, their
// drydock gone): their logs are kept no longer than their containers.
std::size_t remove_died_records(bool dry_run, const Say& say)
{
  const auto died = record::remove_died_runs(runs_dir_here(), run_owner_alive, dry_run);
  for (const auto& run : died) {
    say(fmt::format("{} run record {} (run {} died)", dry_run ? "would remove" : "removed", run.dir, run.number));
  }
  return died.size();
}

int run_clean(const CleanOptions& options)
{
  std::vector<docker::Labelled> candidates;
  const docker::EngineClient client;
  if (auto labelled = docker::labelled_resources(client); labelled) {
    candidates = std::move(*labelled);
  } else {
    options.warn(fmt::format("drydock clean: {}; only cluster directories are checked", labelled.error()));
  }
  const char* tmpdir = std::getenv("TMPDIR");
  for (const auto& dir :
       services::cluster_parent_dirs(tmpdir != nullptr ? std::optional<std::string>(tmpdir) : std::nullopt)) {
    const auto owned = docker::owned_directories(dir);
    candidates.insert(candidates.end(), owned.begin(), owned.end());
  }
  const auto [leftovers, kept] = docker::select_leftovers(candidates, options.all);
  if (options.dry_run) {
    for (const auto& item : leftovers) {
      options.say(fmt::format("would remove {} {}{}", item.kind, item.id.substr(0, 64),
                              item.run.empty() ? std::string() : fmt::format(" (run {})", item.run)));
    }
  }
  const int failed = options.dry_run ? 0 : docker::remove_resources(client, leftovers, options.say);
  const auto died = options.records ? remove_died_records(options.dry_run, options.say) : 0;
  options.say(fmt::format("drydock clean: {} {}, {} kept (their runs are still going){}", leftovers.size() + died,
                          options.dry_run ? "to remove" : "removed", kept,
                          failed > 0 ? fmt::format(", {} could not be removed", failed) : ""));
  return failed > 0 ? kExitStepFailed : kExitOk;
}

} // namespace

int clean_leftovers_of_dead_runs(const Say& say)
{
  CleanOptions options{false, false, false};
  options.say = say;
  options.warn = say;
  return run_clean(options);
}

Action add_clean_command(CLI::App& app)
{
  auto options = std::make_shared<CleanOptions>();
  auto* sub = app.add_subcommand("clean",
                                 "Remove what killed runs left behind: containers, networks and volumes "
                                 "labelled by drydock, throwaway Postgres clusters and the registry "
                                 "credentials of publish steps, whose drydock is gone; and the records of this "
                                 "repository's runs that died (no run_finished).");
  sub->add_flag("--all", options->all, "Also those of runs still going");
  sub->add_flag("-n,--dry-run", options->dry_run, "Only list what would be removed");
  return [options] { return run_clean(*options); };
}

} // namespace drydock::cli
