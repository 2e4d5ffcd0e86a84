// `drydock internal ...`: drydock's own steps (image cache, database), run
// by `drydock run` as child processes so that they share the step seam
// with every other step: output, timeouts, interrupts and the summary.
// Not for users; hidden from --help.
#include <fmt/format.h>

#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "config/validate.hpp"
#include "docker/image_cache.hpp"
#include "publish/from_config.hpp"
#include "exec/build_context.hpp"
#include "report/text_report.hpp"
#include "services/postgres_cluster.hpp"
#include "util/file.hpp"

extern char** environ;

namespace drydock::cli {
namespace {

struct InternalOptions {
  std::string file;
  std::string image;
  std::string publish;
  std::vector<std::string> cluster_args;
};

void print_line(const std::string& line)
{
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

env::Environment own_environment()
{
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return env::Environment::from_entries(entries);
}

// The config, checked; nothing when it has errors (printed).
std::optional<config::Validation> load_config(const std::string& file)
{
  auto text = read_config_file(file);
  if (!text) {
    fmt::print(stderr, "{}", report::format_unreadable(file, text.error()));
    return std::nullopt;
  }
  auto validation = config::validate_text(file, std::move(*text));
  if (validation.diagnostics.has_errors()) {
    fmt::print(stderr, "{}", report::format_file_report(validation.source, validation.diagnostics));
    return std::nullopt;
  }
  return validation;
}

int run_image(const InternalOptions& options)
{
  const auto loaded = load_config(options.file);
  if (!loaded) {
    return kExitConfigOrUsage;
  }
  const auto& validation = *loaded;
  const auto& images = validation.config.drydock.images;
  const auto spec = std::find_if(images.begin(), images.end(), [&](const auto& image) { return image.name == options.image; });
  if (spec == images.end()) {
    fmt::print(stderr, "drydock: {}: no drydock.images entry '{}'\n", options.file, options.image);
    return kExitConfigOrUsage;
  }
  const auto job = docker::make_image_job(*spec, exec::config_dir_of(options.file), own_environment());
  const auto result = docker::ensure_image(job, print_line);
  if (!result) {
    fmt::print(stderr, "drydock: image {}: {}\n", options.image, result.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

int run_publish(const InternalOptions& options)
{
  const auto loaded = load_config(options.file);
  if (!loaded) {
    return kExitConfigOrUsage;
  }
  const auto& ext = loaded->config.drydock;
  const auto spec = std::find_if(ext.publish.begin(), ext.publish.end(), [&](const auto& entry) { return entry.name == options.publish; });
  const auto image = spec == ext.publish.end() ? ext.images.end()
                     : std::find_if(ext.images.begin(), ext.images.end(), [&](const auto& entry) { return entry.name == spec->image.value; });
  if (image == ext.images.end()) {
    fmt::print(stderr, "drydock: {}: no drydock.publish entry '{}' with a drydock.images image\n", options.file, options.publish);
    return kExitConfigOrUsage;
  }
  const auto env = own_environment();
  const auto tag_options = publish::tag_options(*spec, env);
  const auto login = publish::login_from(*spec, env);
  const auto plan = tag_options ? publish::plan_tags_from(docker::run_reference(*image, env), image->repository.value, *tag_options)
                                : tl::unexpected(tag_options.error());
  if (!plan || !login) {
    fmt::print(stderr, "drydock: {}\n", !plan ? plan.error() : login.error());
    return kExitStepFailed;
  }
  for (const auto& note : plan->notes) {
    print_line("note: " + note);
  }
  const auto report = publish::run_tag_plan(*plan, {"docker", true, *login}, print_line);
  for (const auto& pushed : report.pushed) {
    print_line("pushed " + pushed);
  }
  if (!report.error.empty()) {
    fmt::print(stderr, "drydock: publish {}: {}; not pushed: {}\n", options.publish, report.error,
               fmt::join(report.not_pushed, ", "));
    return kExitStepFailed;
  }
  return kExitOk;
}

int run_postgres_start(const InternalOptions& options)
{
  const auto spec = services::parse_cluster_arguments(options.cluster_args);
  if (!spec) {
    fmt::print(stderr, "drydock: postgres-start: {}\n", spec.error());
    return kExitConfigOrUsage;
  }
  if (auto started = services::start_cluster(*spec, print_line); !started) {
    fmt::print(stderr, "drydock: postgresql: {}\n", started.error());
    return kExitStepFailed;
  }
  return kExitOk;
}

} // namespace

Action add_internal_command(CLI::App& app)
{
  auto options = std::make_shared<InternalOptions>();
  auto* sub = app.add_subcommand("internal", "drydock's own steps, run by `drydock run`")->group("");
  sub->require_subcommand(1);
  auto* image = sub->add_subcommand("image", "Make a drydock.images entry present");
  image->add_option("--file", options->file)->required();
  image->add_option("name", options->image)->required();
  auto* publish = sub->add_subcommand("publish", "Tag and push a drydock.publish entry");
  publish->add_option("--file", options->file)->required();
  publish->add_option("name", options->publish)->required();
  auto* postgres = sub->add_subcommand("postgres-start", "Start the throwaway PostgreSQL cluster");
  postgres->allow_extras();
  return [options, image, publish, postgres] {
    if (image->parsed()) {
      return run_image(*options);
    }
    if (publish->parsed()) {
      return run_publish(*options);
    }
    options->cluster_args = postgres->remaining();
    return run_postgres_start(*options);
  };
}

} // namespace drydock::cli
