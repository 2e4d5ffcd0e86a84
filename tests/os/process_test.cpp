// The synchronous runs of os/process, on small real commands.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>

#include "os/process.hpp"

using namespace drydock;

TEST_CASE("run_capture: stdout whole, each line ending in a newline, and the exit status", "[os][process]")
{
  CHECK(os::run_capture({"printf", "a\\n\\nb"}, ".").value().output == "a\n\nb\n"); // a missing final newline added
  CHECK(os::run_capture({"printf", "a\\n"}, ".").value().output == "a\n");
  CHECK(os::run_capture({"true"}, ".").value().output.empty());
  CHECK(os::run_capture({"sh", "-c", "exit 3"}, ".").value().exit_code == 3);
  CHECK(os::run_capture({"sh", "-c", "echo out; echo err >&2"}, ".", os::Stderr::discard).value().output == "out\n");
  CHECK(os::run_capture({"sh", "-c", "echo err >&2"}, ".", os::Stderr::merge).value().output == "err\n");
  CHECK(os::run_capture({"pwd"}, "/").value().output == "/\n");
}

TEST_CASE("the synchronous runs: a command not found or not given is an error value", "[os][process]")
{
  const std::vector<std::string> missing{"drydock-no-such-command", "arg"};
  const std::string not_on_path = "'drydock-no-such-command' is not on PATH";
  CHECK(os::run_capture(missing, ".").error() == not_on_path);
  CHECK(os::run_passthrough(missing, ".").error() == not_on_path);
  CHECK(os::run_stdout_to(missing, ".", [](std::string_view) -> tl::expected<void, std::string> { return {}; }).error()
        == not_on_path);
  CHECK(os::run_stdin_from(missing, ".", [](std::string&) -> tl::expected<bool, std::string> { return false; }).error()
        == not_on_path);
  CHECK(os::run_capture({}, ".").error() == "empty command");
  CHECK(os::run_passthrough({}, ".").error() == "empty command");
  CHECK_FALSE(os::run_capture({"/drydock/no/such/file"}, ".")); // a path is not looked up, and fails to start
}

TEST_CASE("run_stdout_to and run_stdin_from move the bytes, and a failing side stops the command", "[os][process]")
{
  std::string got;
  const auto saved = os::run_stdout_to({"printf", "tar bytes"}, ".",
                                       [&got](std::string_view chunk) -> tl::expected<void, std::string> {
                                         got += chunk;
                                         return {};
                                       });
  CHECK(saved.value() == 0);
  CHECK(got == "tar bytes");
  const auto refused = os::run_stdout_to({"yes"}, ".", [](std::string_view) -> tl::expected<void, std::string> {
    return tl::unexpected(std::string("disk full"));
  });
  CHECK(refused.error() == "disk full");
  int calls = 0;
  const auto loaded = os::run_stdin_from({"sh", "-c", "test \"$(cat)\" = abcdef"}, ".",
                                         [&calls](std::string& buffer) -> tl::expected<bool, std::string> {
                                           buffer = ++calls == 1 ? "abc" : "def";
                                           return calls < 2;
                                         });
  CHECK(loaded.value() == 0);
  const auto broken = os::run_stdin_from({"cat"}, ".", [](std::string&) -> tl::expected<bool, std::string> {
    return tl::unexpected(std::string("the archive is truncated"));
  });
  CHECK(broken.error() == "the archive is truncated");
}

namespace {
// The descriptors a child has (the ls's own included): "0 1 2 3".
std::string descriptors_of_child_ls(os::AsyncProcesses& processes)
{
  os::SpawnSpec spec;
  spec.argv = {"sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"};
  spec.cwd = ".";
  spec.env = {"PATH=/usr/bin:/bin"};
  const int id = processes.spawn(spec).value();
  std::string output;
  for (int round = 0; round < 100; ++round) {
    for (const auto& event : processes.wait(std::chrono::milliseconds(100))) {
      if (event.id == id && event.kind == os::ProcessEvent::Kind::output) {
        output += event.data;
      }
      if (event.id == id && event.kind == os::ProcessEvent::Kind::exited) {
        return output;
      }
    }
  }
  return "(did not exit)";
}
} // namespace

TEST_CASE("no child inherits a descriptor drydock holds open (a socket of the agent's, a pipe)", "[os][process]")
{
  int leaked[2] = {-1, -1};
  REQUIRE(::pipe(leaked) == 0); // no O_CLOEXEC: what Boost.Asio's sockets are like
  os::AsyncProcesses processes;
  CHECK(descriptors_of_child_ls(processes) == "0 1 2 3 ");
  CHECK(os::run_capture({"sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"}, ".").value().output == "0 1 2 3 \n");
  ::close(leaked[0]);
  ::close(leaked[1]);
}
