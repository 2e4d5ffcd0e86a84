#include "util/source.hpp"

#include <algorithm>

namespace drydock {

std::optional<std::size_t> find_non_text_byte(std::string_view text)
{
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0) {
      return i;
    }
    std::size_t extra = 0;
    if (byte < 0x80) {
      extra = 0;
    } else if ((byte & 0xE0) == 0xC0 && byte >= 0xC2) {
      extra = 1;
    } else if ((byte & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((byte & 0xF8) == 0xF0 && byte <= 0xF4) {
      extra = 3;
    } else {
      return i;
    }
    // The second byte's range (RFC 3629): no overlong form, no surrogate,
    // nothing past U+10FFFF, which JSON output and other programs refuse.
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (byte == 0xE0) {
      low = 0xA0;
    } else if (byte == 0xED) {
      high = 0x9F;
    } else if (byte == 0xF0) {
      low = 0x90;
    } else if (byte == 0xF4) {
      high = 0x8F;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      if (i + k >= text.size()) {
        return i;
      }
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80 || (k == 1 && (next < low || next > high))) {
        return i;
      }
    }
    i += extra + 1;
  }
  return std::nullopt;
}

int count_chars(std::string_view text)
{
  return static_cast<int>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

SourceFile::SourceFile(std::string path, std::string text) : m_path(std::move(path)), m_text(std::move(text))
{
  m_line_starts.push_back(0);
  for (std::size_t i = 0; i < m_text.size(); ++i) {
    if (m_text[i] == '\n') {
      m_line_starts.push_back(i + 1);
    }
  }
}

std::string_view SourceFile::line_text(int line) const
{
  if (line < 1 || line > line_count()) {
    return {};
  }
  const std::size_t begin = m_line_starts[static_cast<std::size_t>(line - 1)];
  std::size_t end = line < line_count() ? m_line_starts[static_cast<std::size_t>(line)] - 1 : m_text.size();
  if (end > begin && m_text[end - 1] == '\r') {
    --end;
  }
  return std::string_view(m_text).substr(begin, end - begin);
}

Pos SourceFile::pos_of_offset(std::size_t offset) const
{
  offset = std::min(offset, m_text.size());
  const auto it = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), offset);
  const auto line_index = static_cast<std::size_t>(it - m_line_starts.begin()) - 1;
  const std::size_t begin = m_line_starts[line_index];
  const auto prefix = std::string_view(m_text).substr(begin, offset - begin);
  return Pos{static_cast<int>(line_index) + 1, count_chars(prefix) + 1};
}

Pos SourceFile::pos_of_line_byte(int line0, int byte_column0) const
{
  if (line0 < 0 || line0 >= line_count()) {
    return pos_of_offset(m_text.size());
  }
  const std::size_t begin = m_line_starts[static_cast<std::size_t>(line0)];
  return pos_of_offset(begin + static_cast<std::size_t>(std::max(byte_column0, 0)));
}

} // namespace drydock
