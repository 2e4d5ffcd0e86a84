#include "util/diagnostic.hpp"

#include <algorithm>

namespace drydock {

void Diagnostics::error(Pos pos, std::string message, int length)
{
  m_items.push_back({Severity::error, pos, std::move(message), std::max(length, 1)});
  ++m_errors;
}

void Diagnostics::warning(Pos pos, std::string message, int length)
{
  m_items.push_back({Severity::warning, pos, std::move(message), std::max(length, 1)});
}

void Diagnostics::sort_by_position()
{
  std::stable_sort(m_items.begin(), m_items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.pos.line != b.pos.line) {
      return a.pos.line < b.pos.line;
    }
    return a.pos.column < b.pos.column;
  });
}

} // namespace drydock
