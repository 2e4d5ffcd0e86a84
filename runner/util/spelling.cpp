#include "util/spelling.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace drydock {

namespace {
int lower(char c) { return std::tolower(static_cast<unsigned char>(c)); }
} // namespace

int edit_distance(std::string_view a, std::string_view b, int max_distance)
{
  // Two rows of the classic dynamic programme; case-insensitive because
  // 'Test' for 'test' is the commonest slip.
  // Optimal string alignment: a swap of two neighbours ('onyl') is one edit.
  std::vector<int> before_previous(b.size() + 1);
  std::vector<int> previous(b.size() + 1);
  std::vector<int> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = static_cast<int>(j);
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = static_cast<int>(i);
    int row_best = current[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = lower(a[i - 1]) == lower(b[j - 1]);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1])) {
        current[j] = std::min(current[j], before_previous[j - 2] + 1);
      }
      row_best = std::min(row_best, current[j]);
    }
    if (row_best > max_distance) {
      return max_distance + 1;
    }
    std::swap(before_previous, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates)
{
  // A third of the word, 1 to 3 edits, and never the whole word: 'd' is no
  // typo of 'a'.
  const int length = static_cast<int>(word.size());
  const int allowed = std::min(std::clamp(length / 3, 1, 3), length - 1);
  std::optional<std::string> best;
  int best_distance = allowed + 1;
  for (const auto candidate : candidates) {
    const int distance = edit_distance(word, candidate, allowed);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

} // namespace drydock
