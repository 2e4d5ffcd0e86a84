#include "report/text_report.hpp"

#include <fmt/format.h>

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

std::string plural(int count, std::string_view word)
{
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

} // namespace

std::string format_diagnostic(const SourceFile& source, const Diagnostic& d)
{
  std::string out = fmt::format("{}:{}:{}: {}: {}\n", source.path(), d.pos.line, d.pos.column,
                                severity_name(d.severity), d.message);
  const std::string_view line = source.line_text(d.pos.line);
  if (line.empty()) {
    return out;
  }
  const std::string number = std::to_string(d.pos.line);
  const int available = count_chars(line) - d.pos.column + 1;
  const int underline = std::max(1, std::min(d.length, available));
  out += fmt::format(" {} | {}\n", number, line);
  out += fmt::format(" {} | {}^{}\n", std::string(number.size(), ' '), caret_padding(line, d.pos.column),
                     std::string(static_cast<std::size_t>(underline - 1), '~'));
  return out;
}

std::string format_file_report(const SourceFile& source, const Diagnostics& diagnostics)
{
  std::string out;
  for (const auto& d : diagnostics.all()) {
    out += format_diagnostic(source, d);
  }
  if (diagnostics.all().empty()) {
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

std::string format_unreadable(const std::string& path, const std::string& reason)
{
  return fmt::format("{}: error: cannot read the file: {}\n", path, reason);
}

} // namespace drydock::report
