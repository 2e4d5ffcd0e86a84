#include "util/regex.hpp"

#include <fmt/format.h>
#include <re2/re2.h>

#include <cctype>

namespace drydock::util {
namespace {

constexpr std::size_t kShownChars = 60;

std::string unsupported(std::string_view what, std::string_view hint = "")
{
  return fmt::format("{} is not supported: drydock matches with RE2 (linear time){}", what, hint);
}

// Java's (?...) groups that RE2 has no counterpart for, or nothing.
std::optional<std::string> unsupported_group(std::string_view after)
{
  if (after.starts_with("=")) {
    return unsupported("lookahead (?=...)");
  }
  if (after.starts_with("!")) {
    return unsupported("negative lookahead (?!...)");
  }
  if (after.starts_with("<=")) {
    return unsupported("lookbehind (?<=...)");
  }
  if (after.starts_with("<!")) {
    return unsupported("negative lookbehind (?<!...)");
  }
  if (after.starts_with(">")) {
    return unsupported("atomic group (?>...)");
  }
  if (after.starts_with("<")) {
    return unsupported("named group (?<name>...)", "; write (?P<name>...)");
  }
  return std::nullopt;
}

// Java's escapes that RE2 has no counterpart for, or nothing.
std::optional<std::string> unsupported_escape(std::string_view escape)
{
  const char c = escape.size() > 1 ? escape[1] : '\0';
  if (c >= '1' && c <= '9') {
    return unsupported(fmt::format("backreference \\{}", c));
  }
  if (c == 'k') {
    return unsupported("backreference \\k<name>");
  }
  if (c == 'Z') {
    return unsupported("\\Z", "; write \\z (or $) for the end of the input");
  }
  if (c == 'G') {
    return unsupported("\\G");
  }
  return std::nullopt;
}

// One pass over the pattern for what Java accepts and RE2 would refuse or,
// worse, read differently. Iterative: nesting costs no stack.
class Scanner {
public:
  explicit Scanner(std::string_view pattern) : m_text(pattern) {}

  std::optional<std::string> first_problem()
  {
    while (m_at < m_text.size() && !m_problem) {
      m_in_class ? class_char() : plain_char();
    }
    return m_problem;
  }

private:
  char peek(std::size_t ahead = 0) const { return m_at + ahead < m_text.size() ? m_text[m_at + ahead] : '\0'; }

  // \Q...\E, \p{..}, \x{..} are skipped whole so their contents read as text.
  void escape()
  {
    m_problem = unsupported_escape(m_text.substr(m_at, 2));
    const char c = peek(1);
    m_at += 2;
    if (c == 'Q') {
      const auto end = m_text.find("\\E", m_at);
      m_at = end == std::string_view::npos ? m_text.size() : end + 2;
    } else if ((c == 'p' || c == 'P' || c == 'x') && peek() == '{') {
      const auto end = m_text.find('}', m_at);
      m_at = end == std::string_view::npos ? m_text.size() : end + 1;
    }
  }

  void class_char()
  {
    const char c = peek();
    if (c == '\\') {
      escape();
      return;
    }
    if (c == '&' && peek(1) == '&') {
      m_problem = unsupported("character class intersection [...&&...]");
    } else if (c == '[' && peek(1) == ':') {
      const auto end = m_text.find(":]", m_at + 2);
      m_at = end == std::string_view::npos ? m_text.size() : end + 1;
    } else if (c == '[') {
      m_problem = unsupported("a character class inside a character class [...[...]...]", "; write the characters in "
                                                                                          "one class");
    } else if (c == ']' && m_at != m_class_start) {
      m_in_class = false;
    }
    ++m_at;
  }

  void open_class()
  {
    ++m_at;
    if (peek() == '^') {
      ++m_at;
    }
    m_class_start = m_at; // a ']' right here is a literal
    m_in_class = true;
  }

  void open_group()
  {
    if (++m_depth > kMaxRegexNesting) {
      m_problem = fmt::format("groups nested more than {} deep are not supported", kMaxRegexNesting);
      return;
    }
    ++m_at;
    if (peek() == '?') {
      m_problem = unsupported_group(m_text.substr(m_at + 1));
      ++m_at;
    }
  }

  // A {n}, {n,} or {n,m} repetition's length, or 0 when '{' is a literal.
  std::size_t counted_repeat_length() const
  {
    std::size_t end = m_at + 1;
    const auto digits = [&] {
      const std::size_t from = end;
      while (end < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[end]))) {
        ++end;
      }
      return end > from;
    };
    if (!digits()) {
      return 0;
    }
    if (end < m_text.size() && m_text[end] == ',') {
      ++end;
      digits();
    }
    return end < m_text.size() && m_text[end] == '}' ? end + 1 - m_at : 0;
  }

  // After a quantifier, '+' makes it possessive and '?' lazy.
  void quantifier(std::size_t length)
  {
    const std::size_t start = m_at;
    m_at += length;
    if (peek() == '+') {
      m_problem = unsupported(fmt::format("possessive quantifier {}+", m_text.substr(start, length)));
    } else if (peek() == '?') {
      ++m_at;
    }
  }

  void plain_char()
  {
    const char c = peek();
    const std::size_t repeat = c == '{' ? counted_repeat_length() : 0;
    if (c == '\\') {
      escape();
    } else if (c == '[') {
      open_class();
    } else if (c == '(') {
      open_group();
    } else if (c == '*' || c == '+' || c == '?') {
      quantifier(1);
    } else if (repeat > 0) {
      quantifier(repeat);
    } else {
      if (c == ')' && m_depth > 0) {
        --m_depth;
      }
      ++m_at;
    }
  }

  std::string_view m_text;
  std::size_t m_at = 0;
  std::size_t m_class_start = 0;
  bool m_in_class = false;
  int m_depth = 0;
  std::optional<std::string> m_problem;
};

// RE2's own complaints, reworded; its argument is quoted only when short.
std::string describe_error(const re2::RE2& re)
{
  const std::string arg = shown_pattern(re.error_arg());
  switch (re.error_code()) {
  case re2::RE2::ErrorBadEscape: return fmt::format("invalid escape sequence {}", arg);
  case re2::RE2::ErrorBadCharClass: return fmt::format("invalid character class {}", arg);
  case re2::RE2::ErrorBadCharRange: return fmt::format("invalid character class or range {}", arg);
  case re2::RE2::ErrorMissingBracket: return "a '[' has no ']' to close it";
  case re2::RE2::ErrorMissingParen: return "a '(' has no ')' to close it";
  case re2::RE2::ErrorUnexpectedParen: return "a ')' has no '(' to open it";
  case re2::RE2::ErrorTrailingBackslash: return "it ends with a lone '\\'";
  case re2::RE2::ErrorRepeatArgument: return fmt::format("'{}' has nothing before it to repeat", arg);
  case re2::RE2::ErrorRepeatSize: return fmt::format("the repetition {} is too large (RE2 allows up to 1000)", arg);
  case re2::RE2::ErrorRepeatOp: return fmt::format("invalid repetition {}", arg);
  case re2::RE2::ErrorBadPerlOp: return fmt::format("unsupported group or flag {}", arg);
  case re2::RE2::ErrorBadUTF8: return "it is not valid UTF-8";
  case re2::RE2::ErrorBadNamedCapture: return fmt::format("invalid group name in {}", arg);
  case re2::RE2::ErrorPatternTooLarge: return "it is too large to compile (over RE2's 8 MiB limit)";
  default: return re.error();
  }
}

re2::StringPiece piece(std::string_view text) { return {text.data(), text.size()}; }

} // namespace

bool CompiledRegex::search(std::string_view text) const { return re2::RE2::PartialMatch(piece(text), *m_re); }

bool CompiledRegex::full_match(std::string_view text) const { return re2::RE2::FullMatch(piece(text), *m_re); }

std::optional<std::vector<std::optional<std::string_view>>>
CompiledRegex::full_match_groups(std::string_view text) const
{
  std::vector<re2::StringPiece> groups(static_cast<std::size_t>(m_re->NumberOfCapturingGroups()) + 1);
  if (!m_re->Match(piece(text), 0, text.size(), re2::RE2::ANCHOR_BOTH, groups.data(),
                   static_cast<int>(groups.size()))) {
    return std::nullopt;
  }
  std::vector<std::optional<std::string_view>> out;
  for (std::size_t i = 1; i < groups.size(); ++i) {
    out.push_back(groups[i].data() ? std::optional(std::string_view(groups[i].data(), groups[i].size()))
                                   : std::nullopt);
  }
  return out;
}

const std::string& CompiledRegex::pattern() const { return m_re->pattern(); }

tl::expected<CompiledRegex, std::string> compile_regex(std::string_view pattern)
{
  if (auto problem = Scanner(pattern).first_problem()) {
    return tl::unexpected(std::move(*problem));
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(piece(pattern), options);
  if (!re->ok()) {
    return tl::unexpected(describe_error(*re));
  }
  return CompiledRegex(std::move(re));
}

std::string shown_pattern(std::string_view pattern)
{
  if (pattern.size() <= kShownChars) {
    return std::string(pattern);
  }
  std::size_t cut = kShownChars;
  while (cut > 0 && (static_cast<unsigned char>(pattern[cut]) & 0xC0) == 0x80) {
    --cut; // not inside a UTF-8 sequence
  }
  return fmt::format("{}...", pattern.substr(0, cut));
}

} // namespace drydock::util
