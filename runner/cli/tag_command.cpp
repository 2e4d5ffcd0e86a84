// `drydock tag [OPTIONS] IMAGE...`: docker-ci-deploy's command line, so a
// script can call `drydock tag` where it called `dcd`: the same options, the
// same tags in the same order, the same --dry-run lines, without its bugs.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "publish/pusher.hpp"
#include "publish/tags.hpp"

namespace drydock::cli {
namespace {

struct TagCommandOptions {
  std::vector<std::string> images;
  publish::TagOptions tags;
  std::string version;
  int precision = 1;
  bool precision_given = false;
  std::string registry;
  std::string executable = "docker";
  bool verbose = false;
  bool dry_run = false;
};

int run_tag(TagCommandOptions options)
{
  if (!options.version.empty()) {
    options.tags.version = options.version;
  }
  if (options.precision_given) {
    options.tags.precision = options.precision;
  }
  if (!options.registry.empty()) {
    options.tags.registry = options.registry;
  }
  const auto plan = publish::plan_tags(options.images, options.tags);
  if (!plan) {
    fmt::print(stderr, "drydock tag: {}\n", plan.error());
    return kExitConfigOrUsage;
  }
  for (const auto& note : plan->notes) {
    fmt::print(stderr, "drydock tag: note: {}\n", note);
  }
  if (options.dry_run) {
    for (const auto& line : publish::dry_run_lines(*plan, options.executable, options.verbose)) {
      fmt::print("{}\n", line);
    }
    return kExitOk;
  }
  const auto log = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  const auto report = publish::run_tag_plan(*plan, {options.executable, options.verbose, std::nullopt}, log);
  if (!report.error.empty()) {
    fmt::print(stderr, "drydock tag: {}\n", report.error);
    fmt::print(stderr, "drydock tag: pushed: {}\n", report.pushed.empty() ? "nothing" : fmt::format("{}", fmt::join(report.pushed, ", ")));
    fmt::print(stderr, "drydock tag: not pushed: {}\n", fmt::join(report.not_pushed, ", "));
    return kExitStepFailed;
  }
  return kExitOk;
}

} // namespace

Action add_tag_command(CLI::App& app)
{
  auto options = std::make_shared<TagCommandOptions>();
  auto* sub = app.add_subcommand("tag", "Tag and push images as docker-ci-deploy (dcd) does: the same options, tags, "
                                        "order and --dry-run lines, without its bugs.");
  sub->add_option("image", options->images, "Source images (name[:tag]); options may come before or after, "
                                             "and `--` ends them")
      ->required();
  sub->add_option("-t,--tag", options->tags.tags, "A tag to replace the source tag with (repeat for more)")
      ->allow_extra_args(false);
  sub->add_option("-V,--version", options->version, "Prepend VERSION- to every tag");
  sub->add_flag("-L,--version-latest", options->tags.latest, "Also the unversioned tag, or latest (needs --version)");
  sub->add_flag("-S,--version-semver", options->tags.semver, "Each precision of the version: 1.2.3, 1.2, 1 (needs --version)");
  sub->add_option("-P,--semver-precision", options->precision, "Minimum number of version parts (default 1; needs -S)")
      ->each([options](const std::string&) { options->precision_given = true; });
  sub->add_flag("-Z,--semver-zero", options->tags.zero, "Also the major version 0 (needs -S)");
  sub->add_option("-r,--registry", options->registry, "Registry address to prepend, or to replace the image's own");
  sub->add_option("--executable", options->executable, "The docker client to run (default docker)");
  sub->add_flag("-v,--verbose", options->verbose, "Say what each command does before it runs");
  sub->add_flag("--dry-run", options->dry_run, "Print the docker commands instead of running them");
  sub->footer("Exit status: 0 when everything was tagged and pushed, 1 when a docker command failed (what was and "
              "was not pushed is printed), 2 for usage errors.");
  return [options] { return run_tag(*options); };
}

} // namespace drydock::cli
