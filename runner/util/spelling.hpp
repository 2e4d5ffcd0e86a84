#pragma once
// "Did you mean ...?" suggestions for misspelt names, as ninja does.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace drydock {

// Levenshtein distance with an early exit once it exceeds max_distance.
int edit_distance(std::string_view a, std::string_view b, int max_distance);

// The candidate closest to word, if it is close enough to be a likely typo:
// within a third of the word's length (at least 1, at most 3 edits, and
// fewer edits than the word has characters).
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);

} // namespace drydock
