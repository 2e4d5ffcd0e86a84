// The synchronous runs of os/process, on small real commands.
#include <catch2/catch.hpp>

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
