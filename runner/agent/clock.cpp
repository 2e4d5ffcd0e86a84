#include "agent/clock.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>

namespace drydock::agent {

namespace {
constexpr std::int64_t kTolerated = 2000;   // ms a machine's clock may be off unremarked
constexpr std::int64_t kLongestRead = 1000; // ms a reading may take and still be believed
} // namespace

std::int64_t system_unix_ms()
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::string> SharedClock::sync(Store& store)
{
  const auto reading = store.clock(m_local);
  if (!reading) {
    return fmt::format("warning: {}", reading.error());
  }
  const auto took = reading->after - reading->before;
  if (took < 0 || took > kLongestRead) {
    return std::nullopt; // the offset known is kept: this one could be off by half of that
  }
  const auto offset = reading->database - (reading->before + took / 2); // the query's middle
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
