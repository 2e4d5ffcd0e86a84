#pragma once
// The one masker for secrets: every line drydock writes anywhere (the
// terminal, the summary, background step logs) goes through it.
#include <string>
#include <string_view>
#include <vector>

namespace drydock {

// A line longer than this is shown (and logged) in pieces of this size, so
// output with no newline costs linear time and bounded memory.
inline constexpr std::size_t kMaxLineBytes = std::size_t{64} * 1024;

// The line with every occurrence of each secret replaced by ***. Give the
// secrets in masking order (below), or a secret inside a longer one would
// leave the rest of the longer one showing.
std::string mask_secrets(std::string line, const std::vector<std::string>& secrets);

// Longest first, without duplicates or empty ones.
std::vector<std::string> masking_order(std::vector<std::string> secrets);

// Takes pieces of at most kMaxLineBytes off the front of a line still
// without its newline, masked, once it is long enough that no secret can
// straddle a cut: a secret starting in a piece ends inside `partial`.
// Never cuts inside a UTF-8 character.
std::vector<std::string> take_long_pieces(std::string& partial, const std::vector<std::string>& secrets);

// Splits a stream of chunks into lines and masks each whole line, so a
// secret split across two chunks is still found.
class LineMasker {
public:
  explicit LineMasker(std::vector<std::string> secrets) : m_secrets(masking_order(std::move(secrets))) {}
  // The complete lines of what arrived so far, masked, each ending in '\n'.
  std::string feed(std::string_view chunk);
  // The rest, masked: the last line had no newline.
  std::string finish();

private:
  std::vector<std::string> m_secrets;
  std::string m_partial;
};

} // namespace drydock
