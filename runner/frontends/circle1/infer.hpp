#pragma once
// What CircleCI 1.0 ran in a phase without `override`: commands inferred
// from the files of the build directory (a Gemfile, package.json, ...).
// drydock does not run them unless asked (`--infer`); `plan` shows them.
// Only what CircleCI's docs name is inferred, and only the common case
// of each language (reference: circle-yml-1.0.md, "Inferred commands").
#include <functional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace drydock::circle1 {

// The build directory as inference sees it: whether a path (relative to
// it) is a file or directory, and a file's text ("" when unreadable).
struct BuildFiles {
  std::function<bool(const std::string&)> exists;
  std::function<std::string(const std::string&)> read;
};
BuildFiles files_in(const std::string& build_dir);

struct InferredPhase {
  std::string phase; // "dependencies", "database", "test"
  std::vector<std::string> commands;
  std::string because; // what in the repository made CircleCI infer them
};

// The phases CircleCI would have filled, in run order; a phase whose
// `override` is present (even empty) is left out: override replaces them.
std::vector<InferredPhase> infer_commands(const config::Config& config, const BuildFiles& files);

} // namespace drydock::circle1
