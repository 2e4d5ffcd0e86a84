// drydock's stdout writer on real pipes: no loss to a slow reader, the
// shared descriptor's flags left alone, buffering, a reader that leaves.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "exec/output_writer.hpp"

using drydock::exec::OutputWriter;

namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe()
  {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe()
  {
    close_read();
    if (write_end >= 0) {
      ::close(write_end);
    }
  }
  void close_read()
  {
    if (read_end >= 0) {
      ::close(read_end);
      read_end = -1;
    }
  }
};

// Reads everything until EOF, after a pause that lets the pipe fill up.
std::size_t read_slowly(int fd)
{
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::size_t total = 0;
  char buffer[4096];
  for (auto got = ::read(fd, buffer, sizeof buffer); got > 0; got = ::read(fd, buffer, sizeof buffer)) {
    total += static_cast<std::size_t>(got);
  }
  return total;
}

} // namespace

TEST_CASE("a slow reader gets every byte and the descriptor's flags stay as found", "[exec][output]")
{
  const bool nonblocking = GENERATE(false, true); // another program may have set O_NONBLOCK
  Pipe pipe;
  if (nonblocking) {
    ::fcntl(pipe.write_end, F_SETFL, ::fcntl(pipe.write_end, F_GETFL) | O_NONBLOCK);
  }
  const int flags_before = ::fcntl(pipe.write_end, F_GETFL);
  std::size_t received = 0;
  std::thread reader([&] { received = read_slowly(pipe.read_end); });
  {
    OutputWriter writer(pipe.write_end, [] { FAIL("the reader did not leave"); });
    const std::string line(99, 'x');
    for (int i = 0; i < 20'000; ++i) {
      writer.write(line + "\n"); // 2 MB, far more than the pipe holds
    }
    writer.flush();
    CHECK(::fcntl(pipe.write_end, F_GETFL) == flags_before);
  }
  ::close(pipe.write_end);
  pipe.write_end = -1;
  reader.join();
  CHECK(received == 20'000 * 100);
}

TEST_CASE("output is kept until enough is waiting or it is flushed", "[exec][output]")
{
  Pipe pipe;
  ::fcntl(pipe.read_end, F_SETFL, O_NONBLOCK);
  OutputWriter writer(pipe.write_end, {});
  writer.write("one line\n");
  char buffer[64];
  CHECK(::read(pipe.read_end, buffer, sizeof buffer) < 0); // nothing written yet
  writer.flush();
  CHECK(::read(pipe.read_end, buffer, sizeof buffer) == 9);
  writer.write(std::string(64 * 1024, 'y')); // enough to pass on by itself
  pollfd readable{pipe.read_end, POLLIN, 0};
  REQUIRE(::poll(&readable, 1, 5000) == 1); // the writer's thread writes it soon
  CHECK(::read(pipe.read_end, buffer, sizeof buffer) == sizeof buffer);
}

TEST_CASE("a reader that goes away is told once and nothing more is written", "[exec][output]")
{
  Pipe pipe;
  pipe.close_read();
  const auto previous = std::signal(SIGPIPE, SIG_IGN); // as drydock's main does
  int told = 0;
  OutputWriter writer(pipe.write_end, [&] { ++told; });
  writer.write("lost\n");
  writer.flush();
  writer.write("more\n");
  writer.flush();
  std::signal(SIGPIPE, previous);
  CHECK(told == 1);
  CHECK(writer.reader_gone());
}

TEST_CASE("waiting for a stalled reader gives way when there is something more urgent", "[exec][output]")
{
  const auto previous = std::signal(SIGPIPE, SIG_IGN); // as drydock's main does
  {
    Pipe pipe; // nobody reads: the pipe fills and stays full
    int asked = 0;
    OutputWriter writer(pipe.write_end, {}, [&] {
      ++asked;
      return true; // say, Ctrl-C arrived
    });
    writer.write(std::string(256 * 1024, 'z'));
    writer.flush(); // returns although the reader never reads
    CHECK(asked >= 1);
    CHECK_FALSE(writer.reader_gone());
    pipe.close_read(); // the destructor's wait then ends with EPIPE
  }
  std::signal(SIGPIPE, previous);
}
