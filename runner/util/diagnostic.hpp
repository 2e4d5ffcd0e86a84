#pragma once
// Diagnostics: expected failures in a config, reported as values.
#include <string>
#include <vector>

#include "util/source.hpp"

namespace drydock {

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  Pos pos;
  std::string message;
  // Characters to underline after the caret (at least 1).
  int length = 1;
};

// Collects the diagnostics of one file, in the order they were found.
class Diagnostics {
public:
  void error(Pos pos, std::string message, int length = 1);
  void warning(Pos pos, std::string message, int length = 1);

  const std::vector<Diagnostic>& all() const { return m_items; }
  int error_count() const { return m_errors; }
  int warning_count() const { return static_cast<int>(m_items.size()) - m_errors; }
  bool has_errors() const { return m_errors > 0; }
  // Sorts by position; the sort is stable so same-place messages keep order.
  void sort_by_position();
  // Keeps the first of diagnostics with the same position and message (one
  // cause found by two checks, or in several graphs).
  void remove_duplicates();
  void append(const Diagnostics& other);

private:
  std::vector<Diagnostic> m_items;
  int m_errors = 0;
};

} // namespace drydock
