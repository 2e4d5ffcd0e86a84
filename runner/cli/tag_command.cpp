// `drydock tag [OPTIONS] IMAGE...`: docker-ci-deploy's command line, so a
// script can call `drydock tag` where it called `dcd`: the same options, the
// same tags in the same order, the same --dry-run lines, without its bugs.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>

#include "cli/commands.hpp"
#include "docker/client.hpp"
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

std::string quoted_list(const std::vector<std::string>& words)
{
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    out += i == 0 ? "" : i + 1 == words.size() ? " and " : ", ";
    out += fmt::format("'{}'", words[i]);
  }
  return out;
}

// -t/--tag takes every word up to the next option, as DCD's argparse does
// (nargs='+'), so `-t a b IMAGE` leaves no image. Say how to write it rather
// than guess which word was meant as the image.
std::string no_image_error(const std::vector<std::string>& tags)
{
  if (tags.empty()) {
    return "no image given (drydock tag [OPTIONS] [--] IMAGE...)";
  }
  const bool several = tags.size() > 1;
  const std::string example = several
                                  ? fmt::format("{} -- {}", fmt::join(tags.begin(), tags.end() - 1, " "), tags.back())
                                  : fmt::format("{} -- IMAGE", tags.front());
  return fmt::format("no image given: -t/--tag took {} as {}; write the image after '--' (drydock tag -t {}) or put "
                     "-t after it",
                     quoted_list(tags), several ? "tags" : "a tag", example);
}

int run_tag(TagCommandOptions options)
{
  if (options.images.empty()) {
    fmt::print(stderr, "drydock tag: {}\n", no_image_error(options.tags.tags));
    return kExitConfigOrUsage;
  }
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
  const auto report = publish::run_tag_plan(docker::EngineClient{}, *plan,
                                            {options.executable, options.verbose, std::nullopt}, log);
  if (!report.error.empty()) {
    fmt::print(stderr, "drydock tag: {}\n", report.error);
    fmt::print(stderr, "drydock tag: pushed: {}\n",
               report.pushed.empty() ? "nothing" : fmt::format("{}", fmt::join(report.pushed, ", ")));
    fmt::print(stderr, "drydock tag: not pushed: {}\n", fmt::join(report.not_pushed, ", "));
    return kExitStepFailed;
  }
  return kExitOk;
}

} // namespace

namespace {

// The value in --tag=VALUE or -tVALUE.
std::optional<std::string> attached_tag(const std::string& arg)
{
  if (arg.starts_with("--tag=")) {
    return arg.substr(std::string_view("--tag=").size());
  }
  if (arg.starts_with("-t") && arg.size() > 2) {
    return arg.substr(2);
  }
  return std::nullopt;
}

} // namespace

std::vector<std::string> tag_arguments_as_dcd_reads_them(std::vector<std::string> args)
{
  // argparse ends -t's list at a value given with it (--tag=a, -ta); CLI11
  // would go on taking words. CLI11 ends a list at `--` and drops that `--`,
  // so one more keeps the user's `--` ending the options, as in argparse.
  std::vector<std::string> out;
  bool in_tag_list = false;
  for (auto arg = args.begin(); arg != args.end(); ++arg) {
    if (*arg == "--") {
      if (in_tag_list) {
        out.emplace_back("--");
      }
      out.insert(out.end(), arg, args.end());
      break;
    }
    if (const auto value = attached_tag(*arg)) {
      out.insert(out.end(), {"--tag", *value, "--"});
      in_tag_list = false;
    } else {
      out.push_back(*arg);
      in_tag_list = *arg == "-t" || *arg == "--tag" || (in_tag_list && !arg->starts_with('-'));
    }
  }
  return out;
}

Action add_tag_command(CLI::App& app)
{
  auto options = std::make_shared<TagCommandOptions>();
  auto* sub = app.add_subcommand("tag", "Tag and push images as docker-ci-deploy (dcd) does: the same options, tags, "
                                        "order and --dry-run lines, without its bugs.");
  // Not ->required(): CLI11 would then leave -t a word to use as the image,
  // a guess DCD does not make; run_tag explains a missing image instead.
  sub->add_option("image", options->images,
                  "One or more source images (name[:tag]); after -t/--tag, write them after `--`");
  sub->add_option("-t,--tag", options->tags.tags,
                  "Tags to replace the source tag with: every word up to the next "
                  "option or `--` (repeatable)");
  sub->add_option("-V,--version", options->version, "Prepend VERSION- to every tag");
  sub->add_flag("-L,--version-latest", options->tags.latest, "Also the unversioned tag, or latest (needs --version)");
  sub->add_flag("-S,--version-semver", options->tags.semver,
                "Each precision of the version: 1.2.3, 1.2, 1 (needs --version)");
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
