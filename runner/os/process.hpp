#pragma once
// Child processes: the only place drydock uses Boost.Process and asio.
// Each child runs in its own process group, so a whole command tree can be
// signalled at once (ninja does the same), with stdout and stderr merged.
#include <tl/expected.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace drydock::os {

struct SpawnSpec {
  std::vector<std::string> argv; // argv[0] is looked up on PATH
  std::string cwd;
  std::vector<std::string> env; // "NAME=value"; the child gets exactly these
  // Report the exit only once every process holding the output has let go
  // (background steps, whose output all goes to their log); otherwise the
  // output is read for a short drain time after the exit.
  bool read_until_eof = false;
  std::string input; // the child's stdin (empty: /dev/null)
};

struct ProcessEvent {
  // output_abandoned: the child exited, but processes it started still hold
  // its output pipe after the drain time; what they write later is not read.
  enum class Kind { output, output_abandoned, exited, timer, signal };
  Kind kind = Kind::output;
  int id = 0;
  std::string data;  // output
  int exit_code = 0; // exited: the exit status, or 128 + signal number
  int signal = 0;    // signal: SIGINT or SIGTERM received by drydock
};

// Children, their output and their no-output timers, driven by one event
// loop. Not thread-safe: one thread drives it.
class AsyncProcesses {
public:
  AsyncProcesses();
  ~AsyncProcesses();
  AsyncProcesses(const AsyncProcesses&) = delete;
  AsyncProcesses& operator=(const AsyncProcesses&) = delete;

  // The child's id, or why it could not start.
  tl::expected<int, std::string> spawn(const SpawnSpec& spec);
  // Sends sig to the child's whole process group.
  void signal_group(int id, int sig);
  // Sends sig to every process group ever spawned here that still exists,
  // but those of the children `spared` names (ids from spawn).
  void signal_all_groups(int sig, const std::vector<int>& spared = {});
  bool any_group_alive() const;
  // (Re)arms the child's timer; a `timer` event comes when it expires.
  void arm_timer(int id, std::chrono::milliseconds after);
  // Catch SIGINT, SIGTERM and SIGHUP as `signal` events from now on.
  void catch_interrupts();
  // When fd is a pipe or socket whose reader goes away, a `signal` event
  // with SIGPIPE comes at once, not only at drydock's next write.
  void watch_reader_of(int fd);
  // The events that are ready now, without waiting.
  std::vector<ProcessEvent> poll();
  // Waits for events: at least one, unless the timeout passes first.
  std::vector<ProcessEvent> wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

struct CaptureResult {
  int exit_code = 0;
  std::string output; // stdout only
};

enum class Stderr { discard, inherit, merge };

// Runs a short command to completion (git queries, docker inspect).
tl::expected<CaptureResult, std::string> run_capture(const std::vector<std::string>& argv, const std::string& cwd,
                                                     Stderr stderr_mode = Stderr::discard);

// The synchronous runs below are for drydock's own steps (which run as a
// child drydock): stdout and stderr not redirected go to drydock's own.
// Each returns the exit status, or why the command could not run.

// Runs to completion with stdout and stderr passed through (docker build).
tl::expected<int, std::string> run_passthrough(const std::vector<std::string>& argv, const std::string& cwd);

// Hands the command's stdout to `consume` in chunks (docker save). When
// consume returns an error, the command is killed and that error returned.
using Consume = std::function<tl::expected<void, std::string>(std::string_view chunk)>;
tl::expected<int, std::string> run_stdout_to(const std::vector<std::string>& argv, const std::string& cwd,
                                             const Consume& consume);

// Feeds the command's stdin from `produce` (docker load): it fills the
// buffer and returns true while there is more. When produce returns an
// error, the command is killed before it sees the end of its input.
using Produce = std::function<tl::expected<bool, std::string>(std::string& buffer)>;
tl::expected<int, std::string> run_stdin_from(const std::vector<std::string>& argv, const std::string& cwd,
                                              const Produce& produce);

// A server that outlives the process starting it (PostgreSQL's postmaster,
// as pg_ctl starts it, without pg_ctl's shells and version check): in a
// session of its own, stdin from /dev/null, stdout and stderr appended to
// `log` (made 0600), and as `user` when given (its uid, gid and groups:
// drydock as root runs the server as `postgres`). Not waited for: a child
// of a child that exits at once, so no zombie is left to anyone. Returns
// the server's pid, or why it could not be started (exec failing included).
struct DaemonSpec {
  std::vector<std::string> argv; // argv[0]: a full path
  std::string cwd;
  std::string log;
  std::optional<std::string> user;
};
tl::expected<int, std::string> spawn_daemon(const DaemonSpec& spec);

} // namespace drydock::os
