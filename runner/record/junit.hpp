#pragma once
// junit.xml: the run as JUnit XML in the de-facto schema (testmoapp/junitxml)
// that GitLab, Buildkite and Jenkins read. One <testsuite> per phase or job,
// one <testcase> per step (classname: the phase, name: the step's name, both
// always set), failures with the exit code and the log's last lines, skips
// with their reason; then every JUnit file the steps stored, merged under
// the one <testsuites> root. Pure: the logs and stored files come in.
#include <functional>
#include <string>
#include <vector>

#include "record/replay.hpp"

namespace drydock::record {

// The last lines of a step's log, as stored (masked).
using LogLines = std::function<std::string(const StepHistory& step)>;

inline constexpr std::size_t kJunitLogLines = 20;

// A JUnit file found under test-results/: its path there and its bytes.
struct StoredJunit {
  std::string path;
  std::string text;
};

struct JunitReport {
  std::string xml;
  std::vector<std::string> warnings; // stored files that could not be merged, and why
};

JunitReport junit_xml(const RunHistory& history, const LogLines& log_lines, const std::vector<StoredJunit>& stored);

// started_at (YYYY-MM-DDTHH:MM:SSZ) plus `ms`, to the second; empty when
// started_at is not of that form.
std::string timestamp_after(const std::string& started_at, std::int64_t ms);

} // namespace drydock::record
