#pragma once
// Helpers shared by the unit tests.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/validate.hpp"
#include "report/text_report.hpp"

namespace drydock::test {

inline std::filesystem::path test_dir() { return DRYDOCK_TEST_DIR; }

inline std::string read_text(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The messages only ("LINE:COL: error: message"), for compact assertions.
inline std::vector<std::string> messages(const Diagnostics& diags)
{
  std::vector<std::string> out;
  for (const auto& d : diags.all()) {
    out.push_back(std::to_string(d.pos.line) + ":" + std::to_string(d.pos.column) + ": "
                  + (d.severity == Severity::error ? "error: " : "warning: ") + d.message);
  }
  return out;
}

inline std::vector<std::string> validate_messages(const std::string& yaml)
{
  return messages(config::validate_text("test.yml", yaml).diagnostics);
}

// The names in a directory, sorted.
inline std::vector<std::string> files_in(const std::filesystem::path& dir)
{
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Corpus files in a folder, sorted for stable test order.
inline std::vector<std::filesystem::path> yaml_files(const std::filesystem::path& dir)
{
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".yml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace drydock::test

#include "frontends/circle1/lower.hpp"

namespace drydock::test {

// A valid config's model; fails the test on any diagnostic.
inline config::Config load(const std::string& yaml)
{
  auto result = config::validate_text("circle.yml", yaml);
  const auto problems = messages(result.diagnostics);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  REQUIRE_FALSE(result.diagnostics.has_errors());
  return std::move(result.config);
}

// A valid config lowered to its pipeline (default build context); fails
// the test on any diagnostic.
inline pipeline::Pipeline lower(const config::Config& config, std::optional<std::size_t> deployment = std::nullopt)
{
  Diagnostics diags;
  auto lowered = circle1::lower(config, {}, deployment, diags);
  INFO(fmt::format("{}", fmt::join(messages(diags), "\n")));
  REQUIRE_FALSE(diags.has_errors());
  return lowered;
}

// Step names and their dependencies as "name <- dep, dep" lines.
inline std::vector<std::string> edges(const pipeline::Pipeline& pipeline)
{
  std::vector<std::string> lines;
  for (const auto& step : pipeline.steps) {
    std::vector<std::string> deps;
    for (const auto dep : step.deps) {
      deps.push_back(pipeline.steps[dep].name);
    }
    std::sort(deps.begin(), deps.end());
    lines.push_back(step.name + " <- " + fmt::format("{}", fmt::join(deps, ", ")));
  }
  return lines;
}

} // namespace drydock::test
