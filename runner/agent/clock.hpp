#pragma once
// The clock an agent stamps builds and leases with: the database's, so
// that agents on machines whose clocks disagree still agree on which lease
// ran out. It is this machine's clock plus an offset, asked of the store
// at start and at every heartbeat (one query, not one per stamp).
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/store.hpp"

namespace drydock::agent {

// This machine's clock, in Unix ms.
std::int64_t system_unix_ms();

class SharedClock {
public:
  using Local = std::function<std::int64_t()>; // this machine's Unix ms
  explicit SharedClock(Local local) : m_local(std::move(local)) {}

  // The database's time now, in Unix ms (any thread).
  std::int64_t now() const { return m_local() + m_offset.load(); }
  std::int64_t offset() const { return m_offset.load(); }

  // Asks the store for its clock. A line for the agent's log when it cannot
  // answer (the offset known is kept, as it is when the query took over a
  // second), or when this machine's clock is found off by more than two
  // seconds (said again only when that changes).
  std::optional<std::string> sync(Store& store);

private:
  Local m_local;
  std::atomic<std::int64_t> m_offset{0};
  bool m_told_off = false;
};

} // namespace drydock::agent
