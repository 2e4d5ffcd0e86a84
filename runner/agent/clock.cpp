#include "agent/clock.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

namespace drydock::agent {

namespace {
constexpr std::int64_t kTolerated = 2000; // ms a machine's clock may be off unremarked
}

std::int64_t system_unix_ms()
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> SharedClock::sync(Store& store)
{
  const auto before = m_local();
  const auto database = store.clock(before);
  if (!database) {
    return fmt::format("warning: {}", database.error());
  }
  const auto after = m_local();
  const auto offset = *database - (before + (after - before) / 2); // the query's middle
  m_offset = offset;
  const bool off = std::llabs(offset) > kTolerated;
  if (off == m_told_off) {
    return std::nullopt;
  }
  m_told_off = off;
  if (!off) {
    return std::string("this machine's clock now agrees with the database's");
  }
  return fmt::format("note: this machine's clock is {:.1f} s {} the database's; builds and leases are stamped "
                     "with the database's",
                     static_cast<double>(std::llabs(offset)) / 1000.0, offset > 0 ? "behind" : "ahead of");
}

} // namespace drydock::agent
