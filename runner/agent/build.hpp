#pragma once
// What the agent knows about a build: its place in the queue and history.
// Shared by the store (SQLite, later PostgreSQL), the loop that runs builds
// and the web API. Times are Unix milliseconds; 0 means "not yet".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drydock::agent {

enum class BuildStatus { queued, running, success, failed, error, canceled, interrupted };

std::string_view to_string(BuildStatus status);
std::optional<BuildStatus> parse_status(std::string_view text);
// success, failed, error, canceled, interrupted: the build is over.
bool is_final(BuildStatus status);

// A commit to build, as a source (poll, webhook, enqueue, rebuild) asks.
struct BuildRequest {
  std::string repo;   // the repository's name in the agent (its key)
  std::string ref;    // refs/heads/NAME or refs/tags/NAME
  std::string sha;    // 40 hex digits
  std::string author; // the commit's author name, for the list
  std::string title;  // the first line of the commit message
  std::string reason; // poll, push, enqueue, rebuild of #ID
};

// The request with its author and title made valid UTF-8 (git stores any
// bytes; the API, the UI and PostgreSQL take UTF-8 only). The ref and sha
// stay as they are: the build checks them out.
BuildRequest displayable(BuildRequest request);

struct Build {
  std::int64_t id = 0; // unique in the store, across repositories: /api/builds/ID
  std::string repo;
  int number = 0; // per repository, from the store: CIRCLE_BUILD_NUM
  std::string ref;
  std::string sha;
  std::string author;
  std::string title;
  std::string reason;
  BuildStatus status = BuildStatus::queued;
  std::string agent; // the agent instance that claimed it ("NAME/PID:START")
  std::int64_t queued_at = 0;
  std::int64_t started_at = 0;
  std::int64_t finished_at = 0;
  std::int64_t lease_until = 0; // running: the claim holds until then unless renewed
  bool cancel_requested = false;
  int exit_code = 0;   // drydock run's exit status, once finished
  std::string message; // why it ended as error, canceled or interrupted
  std::string dir;     // where its log and run record are, on the agent that ran it

  // refs/heads/NAME → NAME (empty for a tag), refs/tags/NAME → NAME.
  std::string branch() const;
  std::string tag() const;
};

} // namespace drydock::agent
