#pragma once
// What the CircleCI 2.x loader and lowering tests share: a config read
// (its problems as lines, or none allowed), lowered for a context, and the
// pipeline shown as lines.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "frontends/circle2/load.hpp"
#include "frontends/circle2/lower.hpp"
#include "test_support.hpp"

namespace drydock::test {

// The config's problems, as "line:col: kind: message".
inline std::vector<std::string> problems_of(const std::string& yaml)
{
  return messages(circle2::validate_text(".circleci/config.yml", yaml).diagnostics);
}

// A config that must read without a diagnostic.
inline circle2::Config read_clean(const std::string& yaml)
{
  auto result = circle2::validate_text(".circleci/config.yml", yaml);
  INFO(fmt::format("{}", fmt::join(messages(result.diagnostics), "\n")));
  REQUIRE(result.diagnostics.all().empty());
  return std::move(result.config);
}

struct Lowered {
  circle2::Config config;
  pipeline::Pipeline pipeline;
  Diagnostics diags;
};

// The config read (no error allowed) and lowered; the lowering's
// diagnostics are kept for the test to check.
inline std::unique_ptr<Lowered> lowered_with(const std::string& yaml, const circle2::LowerContext& context,
                                             const circle2::Selection& selection = {})
{
  auto out = std::make_unique<Lowered>();
  auto result = circle2::validate_text(".circleci/config.yml", yaml);
  INFO(fmt::format("{}", fmt::join(messages(result.diagnostics), "\n")));
  REQUIRE_FALSE(result.diagnostics.has_errors());
  out->config = std::move(result.config);
  out->pipeline = circle2::lower(out->config, context, selection, out->diags);
  return out;
}

// As lowered_with, and the lowering must give no error.
inline std::unique_ptr<Lowered> lowered_cleanly(const std::string& yaml, const circle2::LowerContext& context,
                                                const circle2::Selection& selection = {})
{
  auto out = lowered_with(yaml, context, selection);
  INFO(fmt::format("{}", fmt::join(messages(out->diags), "\n")));
  REQUIRE_FALSE(out->diags.has_errors());
  return out;
}

// A job's steps in short: a run's command, else the step's kind.
inline std::vector<std::string> steps_of(const circle2::Job& job)
{
  std::vector<std::string> out;
  for (const auto& step : job.steps) {
    const auto* run = std::get_if<circle2::RunStep>(&step.action);
    out.push_back(run != nullptr ? run->command.value : step.kind);
  }
  return out;
}

inline const circle2::Job& job_named(const circle2::Config& config, const std::string& name)
{
  const auto* job = config.job(name);
  REQUIRE(job != nullptr);
  return *job;
}

inline std::vector<std::string> ids(const pipeline::Pipeline& pipeline)
{
  std::vector<std::string> out;
  for (const auto& step : pipeline.steps) {
    out.push_back(step.id);
  }
  return out;
}

inline std::vector<std::string> env_lines(const std::vector<pipeline::EnvVar>& vars)
{
  std::vector<std::string> out;
  for (const auto& [name, value] : vars) {
    out.push_back(name + "=" + value);
  }
  return out;
}

inline const pipeline::Step& step_by_id(const pipeline::Pipeline& pipeline, const std::string& id)
{
  for (const auto& step : pipeline.steps) {
    if (step.id == id) {
      return step;
    }
  }
  FAIL("no step " << id);
  return pipeline.steps.front();
}

} // namespace drydock::test
