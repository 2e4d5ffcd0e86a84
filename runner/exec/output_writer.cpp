#include "exec/output_writer.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace drydock::exec {
namespace {

constexpr std::size_t kFlushAt = 64 * 1024;

} // namespace

OutputWriter::OutputWriter(int fd, std::function<void()> on_reader_gone)
  : m_fd(fd), m_terminal(::isatty(fd) == 1), m_on_reader_gone(std::move(on_reader_gone))
{
}

OutputWriter::~OutputWriter() { flush(); }

void OutputWriter::write(std::string_view text)
{
  if (m_reader_gone || m_failed) {
    return;
  }
  m_buffer.append(text);
  if (m_terminal || m_buffer.size() >= kFlushAt) {
    flush();
  }
}

void OutputWriter::flush()
{
  if (!m_buffer.empty() && !m_reader_gone && !m_failed) {
    write_all(m_buffer);
  }
  m_buffer.clear();
}

// A descriptor that another program left in O_NONBLOCK mode answers EAGAIN
// when full: wait for room instead of dropping the text.
void OutputWriter::wait_until_writable()
{
  pollfd fd{m_fd, POLLOUT, 0};
  while (::poll(&fd, 1, -1) < 0 && errno == EINTR) {
  }
}

void OutputWriter::write_all(std::string_view text)
{
  while (!text.empty()) {
    const auto wrote = ::write(m_fd, text.data(), text.size());
    if (wrote >= 0) {
      text.remove_prefix(static_cast<std::size_t>(wrote));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_until_writable();
    } else if (errno == EPIPE) {
      m_reader_gone = true;
      if (m_on_reader_gone) {
        m_on_reader_gone();
      }
      return;
    } else if (errno != EINTR) {
      m_failed = true;
      fmt::print(stderr, "drydock: cannot write the build's output: {}\n", std::strerror(errno));
      return;
    }
  }
}

} // namespace drydock::exec
