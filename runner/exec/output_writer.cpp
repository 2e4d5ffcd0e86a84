#include "exec/output_writer.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <csignal>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace drydock::exec {
namespace {

constexpr std::size_t kHandOverAt = std::size_t{64} * 1024;
// How much may wait for a slow reader before drydock itself waits.
constexpr std::size_t kQueueLimit = std::size_t{1024} * 1024;
constexpr auto kRecheck = std::chrono::milliseconds(100);

} // namespace

OutputWriter::OutputWriter(int fd, std::function<void()> on_reader_gone, std::function<bool()> stop_waiting)
  : m_fd(fd), m_terminal(::isatty(fd) == 1), m_on_reader_gone(std::move(on_reader_gone)),
    m_stop_waiting(std::move(stop_waiting))
{
  m_thread = std::thread([this] { writer_loop(); });
}

OutputWriter::~OutputWriter()
{
  {
    // No stop_waiting here: what it asks may be gone by now, and this is
    // the last chance to write (a second Ctrl-C still ends drydock).
    std::unique_lock lock(m_mutex);
    if (!m_reader_gone && !m_failed) {
      m_queue.append(m_pending);
    }
    m_changed.notify_all();
    wait_for_room(lock, 0, false);
    m_closing = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

bool OutputWriter::reader_gone() const
{
  std::lock_guard lock(m_mutex);
  return m_reader_gone;
}

void OutputWriter::write(std::string_view text)
{
  m_pending.append(text);
  if (m_terminal || m_pending.size() >= kHandOverAt) {
    hand_over(false);
  }
}

void OutputWriter::flush() { hand_over(true); }

void OutputWriter::hand_over(bool wait_for_all)
{
  std::unique_lock lock(m_mutex);
  if (!m_reader_gone && !m_failed) {
    m_queue.append(m_pending);
  }
  m_pending.clear();
  m_changed.notify_all();
  wait_for_room(lock, wait_for_all ? 0 : kQueueLimit, true);
}

// Waits until at most `limit` bytes are still to be written (0: all of
// them, and the writer idle), unless the reader is gone or, when
// `may_stop`, stop_waiting() says drydock has something more urgent to do.
void OutputWriter::wait_for_room(std::unique_lock<std::mutex>& lock, std::size_t limit, bool may_stop)
{
  const auto done = [&] {
    return m_reader_gone || m_failed || (limit == 0 ? m_queue.empty() && !m_writing : m_queue.size() <= limit);
  };
  while (!m_changed.wait_for(lock, kRecheck, done)) {
    if (may_stop && m_stop_waiting) {
      lock.unlock();
      const bool stop = m_stop_waiting();
      lock.lock();
      if (stop) {
        return;
      }
    }
  }
}

void OutputWriter::writer_loop()
{
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr); // signals are the event loop's
  std::unique_lock lock(m_mutex);
  while (true) {
    m_changed.wait(lock, [&] { return !m_queue.empty() || m_closing; });
    if (m_queue.empty()) {
      return; // closing
    }
    std::string text;
    text.swap(m_queue);
    m_writing = true;
    lock.unlock();
    write_all(text);
    lock.lock();
    m_writing = false;
    m_changed.notify_all();
  }
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
      {
        std::lock_guard lock(m_mutex);
        m_reader_gone = true;
        m_queue.clear();
      }
      if (m_on_reader_gone) {
        m_on_reader_gone();
      }
      return;
    } else if (errno != EINTR) {
      {
        std::lock_guard lock(m_mutex);
        m_failed = true;
        m_queue.clear();
      }
      fmt::print(stderr, "drydock: cannot write the build's output: {}\n", std::strerror(errno));
      return;
    }
  }
}

} // namespace drydock::exec
