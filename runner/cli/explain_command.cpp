// `drydock explain [FILE]`: for each drydock.images entry, every input of
// its key with its hash, what changed since the last key, and what a run
// would do (reuse, load or build).
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "docker/archive.hpp"
#include "docker/engine.hpp"
#include "docker/image_cache.hpp"

namespace fs = std::filesystem;

namespace drydock::cli {
namespace {

struct ExplainOptions {
  PipelineOptions pipeline;
  std::string image; // only this one
};

std::string change_text(const docker::InputChange& change, bool have_previous)
{
  using Kind = docker::InputChange::Kind;
  if (!have_previous) {
    return "";
  }
  if (change.input.hash == "unknown") {
    return "unknown";
  }
  switch (change.kind) {
  case Kind::same: return "same";
  case Kind::changed: return fmt::format("changed (was {})", change.was);
  case Kind::added: return "new";
  case Kind::removed: return "gone";
  }
  return "";
}

std::string explain_image(const pipeline::Step& step, const pipeline::Build& build, const env::Environment& env,
                          const std::string& no_engine)
{
  const auto& spec = std::get<pipeline::ImageBuild>(step.action);
  const auto job = docker::make_image_job(spec, step.workdir.base, env, pipeline::run_tag(build));
  // Without an engine the base images' ids are unknown, and so is the key.
  const auto key = no_engine.empty()
                       ? docker::compute_key(docker::EngineClient{}, job)
                       : docker::compute_key(job, [](const std::string&) -> tl::expected<std::string, std::string> {
                           return std::string("unknown");
                         });
  if (!key) {
    return fmt::format("image {}: cannot compute the key: {}\n", spec.name, key.error());
  }
  const auto previous = docker::last_key(job);
  const std::string reference = job.repository + ":" + key->key;
  std::string out;
  if (!no_engine.empty()) {
    out += fmt::format("image {}: {}:? (the base images' ids are part of the key, and no engine answers)\n", spec.name,
                       job.repository);
  } else if (!previous) {
    out += fmt::format("image {}: {} (no earlier key recorded in {})\n", spec.name, reference, job.cache_dir);
  } else if (previous->key == key->key) {
    out += fmt::format("image {}: {} (the same key as the last run)\n", spec.name, reference);
  } else {
    out += fmt::format("image {}: {} (the last key was {})\n", spec.name, reference, previous->key);
  }
  const auto changes = docker::compare_inputs(previous.value_or(docker::ImageKey{}), *key);
  std::size_t width = 5;
  std::size_t hash_width = 4;
  for (const auto& change : changes) {
    width = std::max(width, change.input.name.size());
    hash_width = std::max(hash_width, change.input.hash.size());
  }
  const auto row = [&](const std::string& kind, const std::string& name, const std::string& hash,
                       const std::string& note) {
    std::string line = fmt::format("  {:<12}  {:<{}}  {:<{}}  {}", kind, name, width, hash, hash_width, note);
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    return line + "\n";
  };
  out += row("kind", "input", "hash", previous ? "since the last key" : "");
  for (const auto& change : changes) {
    out += row(change.input.kind, change.input.name,
               change.kind == docker::InputChange::Kind::removed ? "-" : change.input.hash,
               change_text(change, previous.has_value()));
  }
  const std::string archive = docker::archive_path(job.cache_dir, job.name, key->key);
  std::error_code ec;
  const auto size = fs::file_size(archive, ec);
  if (!no_engine.empty()) {
    out += fmt::format("  engine: {}\n", no_engine);
    return out;
  }
  out += ec ? fmt::format("  archive: none for this key ({})\n", archive)
            : fmt::format("  archive: {} ({:.1f} MiB)\n", archive, static_cast<double>(size) / (1024.0 * 1024.0));
  const auto present = docker::engine_has_image(docker::EngineClient{}, reference);
  if (!present) {
    out += fmt::format("  engine: {}\n", present.error());
  } else {
    out += fmt::format("  engine: {} {}\n", *present ? "has" : "lacks", reference);
    out += fmt::format("  a run would {} it\n", *present ? "reuse" : (!ec ? "load" : "build"));
  }
  return out;
}

int run_explain(const ExplainOptions& options)
{
  auto loaded = load_pipeline(options.pipeline, circle1::ContextMode::plan);
  if (!loaded) {
    return loaded.error();
  }
  std::vector<const pipeline::Step*> images;
  for (const auto& step : loaded->pipeline.steps) {
    if (std::holds_alternative<pipeline::ImageBuild>(step.action)) {
      images.push_back(&step);
    }
  }
  if (images.empty()) {
    fmt::print("{}: no drydock.images entries\n", options.pipeline.file);
    return kExitOk;
  }
  const auto& env = loaded->context.env;
  const auto engine = docker::probe_engine(docker::EngineClient{}, env.get("DOCKER_HOST").value_or(""), false);
  const std::string no_engine = engine ? "" : engine.error();
  bool found = false;
  for (const auto* step : images) {
    if (options.image.empty() || std::get<pipeline::ImageBuild>(step->action).name == options.image) {
      fmt::print("{}", explain_image(*step, loaded->pipeline.build, env, no_engine));
      found = true;
    }
  }
  if (!found) {
    fmt::print(stderr, "drydock: {}: no drydock.images entry '{}'\n", options.pipeline.file, options.image);
    return kExitConfigOrUsage;
  }
  return kExitOk;
}

} // namespace

Action add_explain_command(CLI::App& app)
{
  auto options = std::make_shared<ExplainOptions>();
  auto* sub = app.add_subcommand("explain", "Show each cached image's key: every input with its hash, what "
                                            "changed since the last key, and whether a run would reuse, load "
                                            "or build it.");
  sub->add_option("--image", options->image, "Only this drydock.images entry");
  add_pipeline_options(*sub, options->pipeline);
  return [options] { return run_explain(*options); };
}

} // namespace drydock::cli
