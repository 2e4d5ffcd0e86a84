// drydock's entry point: the one place exceptions are caught.
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv)
{
  // A closed stdout (`drydock run | head`) must not kill drydock before it
  // stops its steps: writes fail with EPIPE instead, and `run` treats that
  // as an interrupt. Children get the default SIGPIPE back before exec.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    return drydock::cli::run_main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "drydock: internal error: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "drydock: internal error\n");
  }
  return drydock::cli::kExitInternal;
}
