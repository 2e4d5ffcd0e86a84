// libFuzzer target: each input is a circle.yml's text, taken through
// validate and, when valid, plan (plan_path.hpp). A crash, a sanitizer
// report, an exception or a broken invariant is a finding.
// Built by -DDRYDOCK_FUZZ=ON with clang; run by .ci/fuzz and bench/fuzz/run.sh.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "plan_path.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto outcome = drydock::fuzz::plan_path(text);
  if (!outcome.problem.empty()) {
    std::fprintf(stderr, "plan_fuzz: %s\n", outcome.problem.c_str());
    std::abort();
  }
  return 0;
}
