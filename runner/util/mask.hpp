#pragma once
// The one masker for secrets: every line drydock writes anywhere (the
// terminal, the summary, background step logs) goes through it.
#include <string>
#include <string_view>
#include <vector>

namespace drydock {

// The line with every occurrence of each secret replaced by ***.
std::string mask_secrets(std::string line, const std::vector<std::string>& secrets);

// Splits a stream of chunks into lines and masks each whole line, so a
// secret split across two chunks is still found.
class LineMasker {
public:
  explicit LineMasker(std::vector<std::string> secrets) : m_secrets(std::move(secrets)) {}
  // The complete lines of what arrived so far, masked, each ending in '\n'.
  std::string feed(std::string_view chunk);
  // The rest, masked: the last line had no newline.
  std::string finish();

private:
  std::vector<std::string> m_secrets;
  std::string m_partial;
};

} // namespace drydock
