#include "util/diagnostic.hpp"

#include <algorithm>
#include <set>
#include <tuple>

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

void Diagnostics::remove_duplicates()
{
  std::set<std::tuple<int, int, std::string>> seen;
  std::vector<Diagnostic> unique;
  for (const auto& d : m_items) {
    if (seen.emplace(d.pos.line, d.pos.column, d.message).second) {
      unique.push_back(d);
    }
  }
  m_items = std::move(unique);
  m_errors = static_cast<int>(
      std::count_if(m_items.begin(), m_items.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}

void Diagnostics::append(const Diagnostics& other)
{
  m_items.insert(m_items.end(), other.m_items.begin(), other.m_items.end());
  m_errors += other.m_errors;
}

} // namespace drydock
