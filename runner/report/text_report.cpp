#include "report/text_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <vector>

namespace drydock::report {
namespace {

std::string_view severity_name(Severity severity) { return severity == Severity::error ? "error" : "warning"; }

// Spaces up to the column, keeping tabs so the caret lines up in a terminal.
std::string caret_padding(std::string_view line, int column)
{
  std::string padding;
  int chars = 1;
  for (std::size_t i = 0; i < line.size() && chars < column; ++i) {
    const auto byte = static_cast<unsigned char>(line[i]);
    if ((byte & 0xC0) == 0x80) {
      continue;
    }
    padding += line[i] == '\t' ? '\t' : ' ';
    ++chars;
  }
  return padding;
}

// Source lines longer than this are shown as a window around the column.
constexpr int kExcerptWidth = 100;

struct Excerpt {
  std::string text;
  int column = 1; // of the diagnostic within text
};

// The part of the line worth showing: all of it when short, else a window
// around the column with "..." at the cut ends (minified or generated YAML).
Excerpt excerpt_of(std::string_view line, int column)
{
  const int chars = count_chars(line);
  if (chars <= kExcerptWidth) {
    return {std::string(line), column};
  }
  const int first = std::clamp(column - kExcerptWidth / 2, 1, chars - kExcerptWidth + 1);
  std::string text = first > 1 ? "..." : "";
  int at = 1;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const bool starts_char = (static_cast<unsigned char>(line[i]) & 0xC0) != 0x80;
    if (starts_char && i > 0) {
      ++at;
    }
    if (at >= first && at < first + kExcerptWidth) {
      text += line[i];
    }
  }
  if (first + kExcerptWidth <= chars) {
    text += "...";
  }
  return {std::move(text), column - first + 1 + (first > 1 ? 3 : 0)};
}

std::string plural(int count, std::string_view word)
{
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

// "... and 11900 more errors" for the diagnostics past the shown ones.
std::string not_shown_line(std::span<const Diagnostic> rest)
{
  const auto errors = std::count_if(rest.begin(), rest.end(),
                                    [](const Diagnostic& d) { return d.severity == Severity::error; });
  std::vector<std::string> parts;
  if (errors > 0) {
    parts.push_back(plural(static_cast<int>(errors), "more error"));
  }
  if (errors < static_cast<std::ptrdiff_t>(rest.size())) {
    parts.push_back(plural(static_cast<int>(rest.size()) - static_cast<int>(errors), "more warning"));
  }
  return fmt::format("... and {}\n", fmt::join(parts, ", "));
}

} // namespace

std::string format_diagnostic(const SourceFile& source, const Diagnostic& d)
{
  std::string out = fmt::format("{}:{}:{}: {}: {}\n", source.path(), d.pos.line, d.pos.column,
                                severity_name(d.severity), d.message);
  const std::string_view line = source.line_text(d.pos.line);
  if (line.empty() || find_non_text_byte(line)) {
    return out; // nothing to show, or bytes a terminal should not get
  }
  const Excerpt excerpt = excerpt_of(line, d.pos.column);
  const std::string number = std::to_string(d.pos.line);
  const int available = count_chars(excerpt.text) - excerpt.column + 1;
  const int underline = std::max(1, std::min(d.length, available));
  out += fmt::format(" {} | {}\n", number, excerpt.text);
  out += fmt::format(" {} | {}^{}\n", std::string(number.size(), ' '), caret_padding(excerpt.text, excerpt.column),
                     std::string(static_cast<std::size_t>(underline - 1), '~'));
  return out;
}

std::string format_file_report(const SourceFile& source, const Diagnostics& diagnostics)
{
  std::string out;
  const auto& all = diagnostics.all();
  const std::size_t shown = std::min(all.size(), kMaxShownDiagnostics);
  for (std::size_t i = 0; i < shown; ++i) {
    out += format_diagnostic(source, all[i]);
  }
  if (shown < all.size()) {
    out += not_shown_line({all.begin() + static_cast<std::ptrdiff_t>(shown), all.end()});
  }
  if (all.empty()) {
    out += fmt::format("{}: valid\n", source.path());
  } else if (diagnostics.has_errors()) {
    out += fmt::format("{}: {}", source.path(), plural(diagnostics.error_count(), "error"));
    if (diagnostics.warning_count() > 0) {
      out += ", " + plural(diagnostics.warning_count(), "warning");
    }
    out += "\n";
  } else {
    out += fmt::format("{}: valid, {}\n", source.path(), plural(diagnostics.warning_count(), "warning"));
  }
  return out;
}

std::string summarize_command(const std::string& text, std::size_t max_chars)
{
  std::string line = text.substr(0, text.find('\n'));
  // Characters, not bytes: a cut inside a UTF-8 character would print a
  // byte that is not text.
  std::size_t cut = 0;
  for (std::size_t chars = 0; cut < line.size(); ++cut) {
    if ((static_cast<unsigned char>(line[cut]) & 0xC0) != 0x80 && chars++ == max_chars) {
      break;
    }
  }
  if (cut < line.size()) {
    return line.substr(0, cut) + "...";
  }
  if (line.size() < text.size() && text.find_first_not_of(" \n", line.size()) != std::string::npos) {
    line += " ...";
  }
  return line;
}

std::string format_unreadable(const std::string& path, const std::string& reason)
{
  return fmt::format("{}: error: cannot read the file: {}\n", path, reason);
}

} // namespace drydock::report
