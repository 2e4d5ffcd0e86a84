#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "util/spelling.hpp"

namespace drydock::cli {
namespace {

constexpr const char* kExitCodesHelp = R"(Exit codes:
  0    success (for validate: every file is valid)
  1    a step failed
  2    invalid config, unreadable file or usage error
  70   internal error (a bug in drydock; please report it)
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP, or the output closed)

Docs and schemas: README.md, schema/drydock.schema.json (1.0) and schema/circleci2.schema.json (2.x) in the
source tree.)";

// The table of sub-commands, in the order --help lists them.
struct CommandEntry {
  const char* name;
  Action (*add)(CLI::App& app);
};
constexpr CommandEntry kCommands[] = {
    {"validate", add_validate_command}, {"plan", add_plan_command},         {"run", add_run_command},
    {"explain", add_explain_command},   {"tag", add_tag_command},           {"clean", add_clean_command},
    {"runs", add_runs_command},         {"report", add_report_command},     {"agent", add_agent_command},
    {"orb", add_orb_command},           {"internal", add_internal_command},
};

// The commands --help lists: `internal` is drydock's own, not the user's.
std::vector<std::string_view> public_command_names()
{
  std::vector<std::string_view> names;
  for (const auto& command : kCommands) {
    if (std::string_view(command.name) != "internal") {
      names.emplace_back(command.name);
    }
  }
  return names;
}

// CLI11 reports a mistyped command as "A subcommand is required"; name it
// instead, with the likely one or the list.
std::optional<std::string> unknown_command_error(int argc, char** argv)
{
  if (argc < 2 || std::string_view(argv[1]).starts_with('-')) {
    return std::nullopt; // --help, --version, or an option CLI11 reports
  }
  const std::string_view word = argv[1];
  for (const auto& command : kCommands) {
    if (word == command.name) {
      return std::nullopt;
    }
  }
  const auto names = public_command_names();
  if (const auto suggestion = closest_match(word, names)) {
    return fmt::format("unknown command '{}'; did you mean '{}'?", word, *suggestion);
  }
  return fmt::format("unknown command '{}'; the commands are {} (drydock --help)", word, fmt::join(names, ", "));
}

// The arguments after the program name, `tag`'s grouped as DCD groups them,
// last first as CLI11's parse(vector) takes them.
std::vector<std::string> cli11_arguments(int argc, char** argv)
{
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "tag") {
    auto tag_args = tag_arguments_as_dcd_reads_them({args.begin() + 1, args.end()});
    args.erase(args.begin() + 1, args.end());
    args.insert(args.end(), tag_args.begin(), tag_args.end());
  }
  std::reverse(args.begin(), args.end());
  return args;
}

} // namespace

int run_main(int argc, char** argv)
{
  if (const auto error = unknown_command_error(argc, argv)) {
    fmt::print(stderr, "drydock: {}\n", *error);
    return kExitConfigOrUsage;
  }
  CLI::App app("drydock: run CircleCI pipelines (circle.yml 1.0, .circleci/config.yml 2.x) on your own machine.",
               "drydock");
  app.set_version_flag("--version", std::string("drydock ") + DRYDOCK_VERSION);
  app.footer(kExitCodesHelp);
  app.require_subcommand(1);
  std::map<std::string, Action> actions;
  for (const auto& command : kCommands) {
    actions[command.name] = command.add(app);
  }
  auto args = cli11_arguments(argc, argv);
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitConfigOrUsage;
  }
  for (const auto* sub : app.get_subcommands()) {
    return actions.at(sub->get_name())();
  }
  return kExitConfigOrUsage;
}

} // namespace drydock::cli
