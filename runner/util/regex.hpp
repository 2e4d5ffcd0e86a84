#pragma once
// The one place user-supplied regular expressions are compiled and matched
// (branch and tag filters, a service's ready.log, docker reference names).
// RE2 matches in time linear in the input and never recurses, so no
// pattern or input can crash or hang drydock. Patterns are written as
// CircleCI 1.0 took them (Java syntax); what Java has and RE2 cannot do
// (backreferences, lookaround, possessive quantifiers, \Z...) is refused
// with the construct named, not compiled to something else.
#include <tl/expected.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace drydock::util {

// Groups deeper than this are refused (this RE2 has no limit of its own).
inline constexpr int kMaxRegexNesting = 1000;

class CompiledRegex {
public:
  // Whether the pattern matches anywhere in `text` (not anchored).
  bool search(std::string_view text) const;
  // Whether the pattern matches the whole of `text`.
  bool full_match(std::string_view text) const;
  // The capture groups of a whole-text match, nullopt for a group that took
  // no part; nothing when the text does not match.
  std::optional<std::vector<std::optional<std::string_view>>> full_match_groups(std::string_view text) const;
  const std::string& pattern() const;

private:
  friend tl::expected<CompiledRegex, std::string> compile_regex(std::string_view pattern);
  explicit CompiledRegex(std::shared_ptr<const re2::RE2> re) : m_re(std::move(re)) {}

  std::shared_ptr<const re2::RE2> m_re; // shared: RE2 cannot be copied, a model value can
};

// The compiled pattern, or why it cannot be compiled, in words for users
// (e.g. "lookahead (?=...) is not supported: drydock matches with RE2 (linear time)").
tl::expected<CompiledRegex, std::string> compile_regex(std::string_view pattern);

// The pattern as messages quote it: cut short when it is long.
std::string shown_pattern(std::string_view pattern);

} // namespace drydock::util
