#pragma once
// A loaded config file and positions inside it.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drydock {

// A 1-based line and column; column counts characters (UTF-8 code points),
// as editors do. {0, 0} means "no position" (e.g. a value drydock made up).
struct Pos {
  int line = 0;
  int column = 0;

  bool known() const { return line > 0; }
  friend bool operator==(const Pos&, const Pos&) = default;
};

// The text of one file with a line index, so that byte offsets from the YAML
// parser can be turned into line:column and the source line can be quoted.
class SourceFile {
public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return m_path; }
  const std::string& text() const { return m_text; }

  // The line's text without its line break; empty when out of range.
  std::string_view line_text(int line) const;
  // 1-based line and character column of a 0-based byte offset.
  Pos pos_of_offset(std::size_t offset) const;
  // Converts a 0-based line and byte column (yaml-cpp's Mark) to a Pos.
  Pos pos_of_line_byte(int line0, int byte_column0) const;
  int line_count() const { return static_cast<int>(m_line_starts.size()); }

private:
  std::string m_path;
  std::string m_text;
  std::vector<std::size_t> m_line_starts;
};

// Where the text stops being UTF-8 (or holds a NUL), if anywhere.
std::optional<std::size_t> find_non_text_byte(std::string_view text);

// Number of UTF-8 code points in the text (continuation bytes not counted).
int count_chars(std::string_view text);

} // namespace drydock
