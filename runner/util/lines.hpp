#pragma once
// The one line splitter: text split at '\n' exactly as std::getline splits
// a stream, without the stream or a copy per line; and split() at any
// character. Header-only, so os/ and net/ (below the core library) can use
// them too.
#include <algorithm>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace drydock::util {

// The lines of `text`, as views into it (the text must outlive them). A
// final '\n' ends the last line instead of starting an empty one, so
// "a\nb\n" and "a\nb" both have two lines, "\n" has one empty line and ""
// none. A '\r' stays in its line.
class Lines {
public:
  class iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    iterator() = default;
    iterator(std::string_view text, std::size_t at) : m_text(text), m_at(at) { find_end(); }

    std::string_view operator*() const { return m_text.substr(m_at, m_end - m_at); }
    iterator& operator++()
    {
      m_at = m_end + 1;
      find_end();
      return *this;
    }
    iterator operator++(int)
    {
      iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const { return m_at == other.m_at; }

  private:
    void find_end()
    {
      m_at = std::min(m_at, m_text.size()); // past the last line: the end
      m_end = std::min(m_text.find('\n', m_at), m_text.size());
    }

    std::string_view m_text;
    std::size_t m_at = 0;
    std::size_t m_end = 0;
  };

  explicit Lines(std::string_view text) : m_text(text) {}
  iterator begin() const { return {m_text, 0}; }
  iterator end() const { return {m_text, m_text.size()}; }

private:
  std::string_view m_text;
};

inline Lines lines(std::string_view text) { return Lines(text); }
inline Lines lines(const char* text) { return Lines(text); }
// A temporary string would be gone before the loop reads its lines
// (`for (auto line : lines(f()))`): keep it in a variable first.
Lines lines(std::string&& text) = delete;
Lines lines(const std::string&& text) = delete;

// The parts of `text` between `separator`s, as views into it, empty ones
// kept: "a,,b" is a, "" and b; "" is one empty part.
inline std::vector<std::string_view> split(std::string_view text, char separator)
{
  std::vector<std::string_view> parts;
  std::size_t at = 0;
  while (at <= text.size()) {
    const auto end = std::min(text.find(separator, at), text.size());
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

} // namespace drydock::util
