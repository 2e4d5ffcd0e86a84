// drydock's entry point: the one place exceptions are caught.
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "cli/commands.hpp"

int main(int argc, char** argv)
{
  try {
    return drydock::cli::run_main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "drydock: internal error: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "drydock: internal error\n");
  }
  return drydock::cli::kExitInternal;
}
