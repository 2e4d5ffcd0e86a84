#pragma once
// Runs a function when the scope ends, however it ends (an exception too).
#include <utility>

namespace drydock::util {

template <class Function>
class ScopeExit {
public:
  explicit ScopeExit(Function function) : m_function(std::move(function)) {}
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ~ScopeExit() { m_function(); }

private:
  Function m_function;
};

} // namespace drydock::util
