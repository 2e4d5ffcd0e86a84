#pragma once
// Quoting for the few places drydock writes shell text itself (appended
// `files:` arguments, a container step's `cd`, a readiness command).
#include <string>

namespace drydock {

// 'text' with each ' written as '\'' : one word to sh, whatever it holds.
inline std::string shell_quote(const std::string& text)
{
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

} // namespace drydock
