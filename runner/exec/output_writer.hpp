#pragma once
// drydock's own output to an inherited descriptor (stdout): buffered, so a
// chatty step costs a write(2) per 64 KiB instead of one per line, and
// written by a thread of its own, so a slow reader slows the build
// (nothing is dropped) without ever stopping drydock from seeing Ctrl-C or
// a step's timeout. The descriptor's status flags are never changed: they
// are shared with the shell's other commands.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace drydock::exec {

class OutputWriter {
public:
  // `on_reader_gone` runs once, on the writer's thread, when the reader has
  // gone away (EPIPE). While drydock waits for a slow reader it asks
  // `stop_waiting` every 100 ms; when that says true (an interrupt to
  // handle), it goes on and the text stays queued.
  OutputWriter(int fd, std::function<void()> on_reader_gone, std::function<bool()> stop_waiting = {});
  // Waits until everything is written or the reader is gone.
  ~OutputWriter();
  OutputWriter(const OutputWriter&) = delete;
  OutputWriter& operator=(const OutputWriter&) = delete;

  // Keeps the text; hands it to the writer at once for a terminal, else
  // once 64 KiB are waiting.
  void write(std::string_view text);
  // Hands over what is kept and waits until it is written (see stop_waiting).
  void flush();
  bool reader_gone() const;

private:
  void hand_over(bool wait_for_all);
  void wait_for_room(std::unique_lock<std::mutex>& lock, std::size_t limit, bool may_stop);
  void writer_loop();
  void write_all(std::string_view text);
  void wait_until_writable();

  int m_fd;
  bool m_terminal;
  std::function<void()> m_on_reader_gone;
  std::function<bool()> m_stop_waiting;
  std::string m_pending; // kept on this side until handed over

  mutable std::mutex m_mutex;
  std::condition_variable m_changed;
  std::string m_queue; // handed over, not yet written
  bool m_writing = false;
  bool m_closing = false;
  bool m_reader_gone = false;
  bool m_failed = false;
  std::thread m_thread;
};

} // namespace drydock::exec
