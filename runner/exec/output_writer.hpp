#pragma once
// drydock's own output to an inherited descriptor (stdout): buffered, so a
// chatty step costs a write(2) per 64 KiB instead of one per line, and
// blocking, so a slow reader slows the build instead of losing lines. The
// descriptor's status flags are never changed: they are shared with the
// shell's other commands.
#include <functional>
#include <string>
#include <string_view>

namespace drydock::exec {

class OutputWriter {
public:
  // `on_reader_gone` runs once when the reader has gone away (EPIPE).
  OutputWriter(int fd, std::function<void()> on_reader_gone);
  ~OutputWriter();
  OutputWriter(const OutputWriter&) = delete;
  OutputWriter& operator=(const OutputWriter&) = delete;

  // Keeps the text; passes it on at once to a terminal, else once enough
  // is waiting.
  void write(std::string_view text);
  // Passes on everything kept, waiting for a slow reader as long as it takes.
  void flush();
  bool reader_gone() const { return m_reader_gone; }

private:
  void write_all(std::string_view text);
  void wait_until_writable();

  int m_fd;
  bool m_terminal;
  bool m_reader_gone = false;
  bool m_failed = false;
  std::function<void()> m_on_reader_gone;
  std::string m_buffer;
};

} // namespace drydock::exec
