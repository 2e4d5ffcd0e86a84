#include <catch2/catch.hpp>

#include "report/text_report.hpp"

using namespace drydock;

namespace {
Diagnostic error_at(int line, int column, std::string message, int length = 1)
{
  return Diagnostic{Severity::error, Pos{line, column}, std::move(message), length};
}
} // namespace

TEST_CASE("a diagnostic shows file:line:col, the source line and a caret under the span", "[report]")
{
  const SourceFile file("c.yml", "test:\n  overide:\n");
  CHECK(report::format_diagnostic(file, error_at(2, 3, "unknown key 'overide'", 7))
        == "c.yml:2:3: error: unknown key 'overide'\n"
           " 2 |   overide:\n"
           "   |   ^~~~~~~\n");
}

TEST_CASE("the caret keeps tabs and counts characters, not bytes", "[report]")
{
  const SourceFile file("c.yml", "\tcaf\xc3\xa9: x\n");
  CHECK(report::format_diagnostic(file, error_at(1, 8, "here"))
        == "c.yml:1:8: error: here\n"
           " 1 | \tcaf\xc3\xa9: x\n"
           "   | \t      ^\n");
}

TEST_CASE("the underline never runs past the end of the line", "[report]")
{
  const SourceFile file("c.yml", "ab\n");
  CHECK(report::format_diagnostic(file, error_at(1, 2, "m", 10)) == "c.yml:1:2: error: m\n 1 | ab\n   |  ^\n");
}

TEST_CASE("a very long line is shown as a window around the column", "[report]")
{
  const std::string line = std::string(500, 'a') + "X" + std::string(500, 'b');
  const SourceFile file("c.yml", line + "\n");
  const auto text = report::format_diagnostic(file, error_at(1, 501, "m"));
  const auto excerpt = text.substr(text.find(" 1 | ") + 5,
                                   text.find('\n', text.find(" 1 | ")) - text.find(" 1 | ") - 5);
  CHECK(excerpt.size() == 106); // "..." + 100 characters + "..."
  CHECK(excerpt.starts_with("...a"));
  CHECK(excerpt.ends_with("b..."));
  const auto caret_line = text.substr(text.rfind("| ") + 2);
  CHECK(excerpt[caret_line.find('^')] == 'X');
}

TEST_CASE("a line that is not text is not echoed", "[report]")
{
  const SourceFile file("c.yml", std::string("a: \xff\n"));
  CHECK(report::format_diagnostic(file, error_at(1, 4, "bad")) == "c.yml:1:4: error: bad\n");
}

TEST_CASE("the summary line counts errors and warnings", "[report]")
{
  const SourceFile file("c.yml", "a\nb\n");
  Diagnostics none;
  CHECK(report::format_file_report(file, none) == "c.yml: valid\n");
  Diagnostics warned;
  warned.warning(Pos{1, 1}, "w");
  CHECK(report::format_file_report(file, warned).ends_with("c.yml: valid, 1 warning\n"));
  Diagnostics mixed;
  mixed.error(Pos{1, 1}, "e1");
  mixed.error(Pos{2, 1}, "e2");
  mixed.warning(Pos{2, 1}, "w");
  CHECK(report::format_file_report(file, mixed).ends_with("c.yml: 2 errors, 1 warning\n"));
}

TEST_CASE("an unreadable file is one line with the reason", "[report]")
{
  CHECK(report::format_unreadable("nope.yml", "No such file or directory")
        == "nope.yml: error: cannot read the file: No such file or directory\n");
}

TEST_CASE("a file report shows the first 100 diagnostics and counts the rest", "[report]")
{
  const SourceFile file("c.yml", "a\n");
  Diagnostics diags;
  for (int i = 0; i < 103; ++i) {
    diags.error(Pos{1, 1}, "e" + std::to_string(i));
  }
  diags.warning(Pos{1, 1}, "w");
  const std::string text = report::format_file_report(file, diags);
  CHECK(text.find("c.yml:1:1: error: e99\n") != std::string::npos);
  CHECK(text.find("e100") == std::string::npos);
  const std::string tail = "   | ^\n... and 3 more errors, 1 more warning\nc.yml: 103 errors, 1 warning\n";
  CHECK(text.substr(text.size() - tail.size()) == tail);
}

TEST_CASE("a file report with exactly 100 diagnostics shows them all", "[report]")
{
  const SourceFile file("c.yml", "a\n");
  Diagnostics diags;
  for (int i = 0; i < 100; ++i) {
    diags.error(Pos{1, 1}, "e");
  }
  const std::string text = report::format_file_report(file, diags);
  CHECK(text.find("more") == std::string::npos);
  CHECK(text.ends_with("   | ^\nc.yml: 100 errors\n"));
}

TEST_CASE("a command is summarized to its first line, cut at a character, never inside one (fuzz finding)", "[report]")
{
  CHECK(report::summarize_command("make test", 60) == "make test");
  CHECK(report::summarize_command("make\nmake install", 60) == "make ...");
  CHECK(report::summarize_command("abcdef", 3) == "abc...");
  // 40 two-byte characters: cut after 30 characters, not after 30 bytes.
  std::string accents;
  for (int i = 0; i < 40; ++i) {
    accents += "\u00e9";
  }
  const auto summary = report::summarize_command("echo " + accents, 35);
  CHECK(summary == "echo " + accents.substr(0, 60) + "...");
  CHECK_FALSE(find_non_text_byte(summary));
}
