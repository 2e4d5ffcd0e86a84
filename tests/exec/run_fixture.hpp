#pragma once
// Runs a config for real (bash, processes) in a scratch directory and keeps
// what the user would see.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "exec/build.hpp"
#include "exec/host_runner.hpp"
#include "frontends/circle1/context.hpp"
#include "frontends/circle1/lower.hpp"
#include "frontends/circle1/selection.hpp"
#include "report/run_printer.hpp"
#include "test_support.hpp"

namespace drydock::test {

namespace fs = std::filesystem;

class ScratchDir {
public:
  ScratchDir()
  {
    std::random_device random;
    m_path = fs::temp_directory_path() / fmt::format("drydock-test-{}-{}", ::getpid(), random());
    fs::create_directories(m_path);
  }
  ~ScratchDir()
  {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }
  void write(const std::string& name, const std::string& text) const
  {
    fs::create_directories((m_path / name).parent_path());
    std::ofstream(m_path / name) << text;
  }
  std::string read(const std::string& name) const { return read_text(m_path / name); }

private:
  fs::path m_path;
};

struct RunOutcome {
  exec::BuildResult result;
  circle1::BuildContext context;
  std::string output;
  pipeline::Pipeline graph;

  plan::StepStatus status(const std::string& name) const
  {
    for (const auto& step : graph.steps) {
      if (step.name == name) {
        return result.steps[step.index].status;
      }
    }
    FAIL("no step " << name);
    return plan::StepStatus::waiting;
  }
};

// Host environment for tests: PATH and HOME (the scratch dir) only, so the
// host's own variables cannot leak into assertions.
inline std::vector<std::string> test_host_env(const ScratchDir& dir)
{
  const char* path = std::getenv("PATH");
  return {std::string("PATH=") + (path ? path : "/usr/bin:/bin"), "HOME=" + dir.path().string(), "HOST_VAR=from-host"};
}

inline RunOutcome run_config(const ScratchDir& dir, const std::string& yaml, std::size_t jobs = 4,
                             circle1::Overrides overrides = {}, std::vector<std::string> secrets = {})
{
  dir.write("circle.yml", yaml);
  auto validation = config::validate_text((dir.path() / "circle.yml").string(), yaml);
  REQUIRE_FALSE(validation.diagnostics.has_errors());
  auto context = circle1::make_build_context(validation.config, overrides, test_host_env(dir),
                                             circle1::ContextMode::run);
  REQUIRE(context);
  RunOutcome outcome;
  outcome.context = *context;
  const auto deployment = circle1::choose_deployment(validation.config.deployment, context->target);
  REQUIRE(deployment);
  Diagnostics diags;
  outcome.graph = circle1::lower(validation.config, outcome.context, deployment->selected, diags);
  REQUIRE_FALSE(diags.has_errors());
  const auto run_context = exec::make_run_context(outcome.graph, test_host_env(dir), "drydock");
  report::RunPrinter printer(outcome.graph, {.secrets = secrets},
                             [&](std::string_view text) { outcome.output += text; });
  exec::HostRunner runner(jobs, printer, secrets);
  outcome.result = exec::run_build(outcome.graph, run_context, runner, printer);
  printer.summary(outcome.result);
  return outcome;
}

// True while any process has `marker` in its command line.
inline bool process_running(const std::string& marker)
{
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
    if (text.find(marker) != std::string::npos && entry.path().filename() != std::to_string(::getpid())) {
      return true;
    }
  }
  return false;
}

} // namespace drydock::test
