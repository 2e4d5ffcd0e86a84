// `drydock validate [FILE...]`: every problem of every file at once.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/orb_cache.hpp"
#include "cli/pipeline.hpp"
#include "frontends/circle1/check.hpp"
#include "frontends/circle2/load.hpp"
#include "frontends/format.hpp"
#include "report/json_report.hpp"
#include "report/text_report.hpp"
#include "util/file.hpp"

namespace drydock::cli {
namespace {

struct ValidateOptions {
  std::vector<std::string> files;
  std::string format = "text";
  std::optional<std::string> orbs_dir;
};

struct Validated {
  SourceFile source;
  Diagnostics diagnostics;
};

// Each file by the front end its content asks for.
Validated validated(const std::string& path, std::string text, const circle2::OrbLibrary& orbs)
{
  if (frontends::format_of(path, text) == frontends::Format::circle2) {
    auto result = circle2::validate_text(path, std::move(text), {}, orbs);
    return {std::move(result.source), std::move(result.diagnostics)};
  }
  auto result = circle1::validate_pipeline(path, std::move(text));
  return {std::move(result.source), std::move(result.diagnostics)};
}

int run_validate(const ValidateOptions& options)
{
  const std::vector<std::string> files = options.files.empty()
                                             ? std::vector<std::string>{frontends::default_config_file()}
                                             : options.files;
  bool all_valid = true;
  auto json_files = nlohmann::json::array();
  const OrbCache orbs(orb_cache_dir(options.orbs_dir, env::Environment::from_entries(host_environment())));
  for (const auto& path : files) {
    auto text = read_config_file(path);
    if (!text) {
      all_valid = false;
      if (options.format == "json") {
        json_files.push_back(report::unreadable_json(path, text.error()));
      } else {
        fmt::print("{}", report::format_unreadable(path, text.error()));
      }
      continue;
    }
    const auto result = validated(path, std::move(*text), orbs);
    all_valid = all_valid && !result.diagnostics.has_errors();
    if (options.format == "json") {
      json_files.push_back(report::file_report_json(path, result.diagnostics));
    } else {
      fmt::print("{}", report::format_file_report(result.source, result.diagnostics));
    }
  }
  if (options.format == "json") {
    const nlohmann::json out{{"valid", all_valid}, {"files", std::move(json_files)}};
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  std::fflush(stdout);
  return all_valid ? kExitOk : kExitConfigOrUsage;
}

} // namespace

Action add_validate_command(CLI::App& app)
{
  auto options = std::make_shared<ValidateOptions>();
  auto* sub = app.add_subcommand("validate", "Check config files against the schema, drydock's rules and the "
                                             "step graph of every deployment section; print every problem as "
                                             "FILE:LINE:COL with the source line (the first 100 of a file in "
                                             "text; json lists all).");
  sub->add_option("files", options->files,
                  "Config files to check, CircleCI 1.0 or 2.x by their content (default: .circleci/config.yml "
                  "when there is one, else circle.yml)");
  sub->add_option("--format", options->format, "Output format: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sub->add_option("--orbs", options->orbs_dir,
                  "CircleCI 2.1: the registry orbs' cache (default ~/.cache/drydock/orbs; `drydock orb fetch` "
                  "fills it)")
      ->type_name("DIR");
  sub->footer("Regular expressions (/.../ branch and tag filters, ready.log) are RE2 syntax, matched in "
              "linear time; Java constructs RE2 cannot do (backreferences, lookahead and lookbehind, "
              "possessive quantifiers, \\Z) are errors.\n\n"
              "Exit status: 0 when every file is valid (warnings allowed), 2 when any file is invalid or "
              "unreadable.");
  return [options] { return run_validate(*options); };
}

} // namespace drydock::cli
