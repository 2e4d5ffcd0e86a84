#pragma once
// Pieces of the 2.x lowering that need no job or workflow: the shell a
// command runs in, a step's name from its command, and the folders a
// job's files go to in the run's record.
#include <optional>
#include <string>
#include <vector>

#include "frontends/circle2/model.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::circle2 {

// What CircleCI runs a command with: the step's or the job's shell, else
// bash with -eo pipefail where the image has bash, else sh -e. Either runs
// under sh, which exports DRYDOCK_HALT_FILE for `circleci step halt` to
// make: a command that passed and made it exits kHaltExitCode (its job
// halts, passed); one that exits kHaltExitCode on its own exits 1, so the
// two are never confused.
constexpr int kHaltExitCode = 187;
std::vector<std::string> shell_of(const std::optional<Text>& step_shell, const std::optional<Text>& job_shell);

// A command's name when it has none: its first line, cut to fit a column.
std::string first_line(const std::string& text);

// A name as one path component: what is not a letter, digit, '.', '_' or '-' becomes '_'.
std::string as_dir_name(const std::string& name);

// A job's folder under a root: ROOT/WORKFLOW/JOB (or ROOT/JOB), each part one safe name.
std::string layer_dir(const std::string& root, const std::vector<std::string>& parts);

// Where under the job's artifacts a path goes: its destination, else the
// path as written, without a leading / or ~/ and never above the job's.
std::string artifact_place(const StoreStep& store);

std::vector<std::string> values_of(const std::vector<Text>& texts);

inline pipeline::CacheKey cache_key_of(const KeyTemplate& key) { return {key.written.value, key.parts}; }

} // namespace drydock::circle2
