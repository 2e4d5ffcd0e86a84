// The one file that uses Boost.Process (and its asio event loop). Boost
// 1.88 changed Boost.Process's default API, so keeping it here keeps that
// change to one file.
#include "os/process.hpp"

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <csignal>
#include <deque>
#include <fcntl.h>
#include <grp.h>
#include <iterator>
#include <map>
#include <poll.h>
#include <pwd.h>
#include <set>
#include <thread>
#include <utility>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/lines.hpp"

namespace bp = boost::process;
namespace asio = boost::asio;

namespace drydock::os {
namespace {

// Output still in the pipe when the child exits is read for this long; a
// grandchild holding the pipe open must not keep the step running.
constexpr auto kDrainAfterExit = std::chrono::milliseconds(200);

tl::expected<boost::filesystem::path, std::string> find_executable(const std::vector<std::string>& argv)
{
  if (argv.empty()) {
    return tl::unexpected(std::string("empty command"));
  }
  auto executable = argv[0].find('/') != std::string::npos ? boost::filesystem::path(argv[0])
                                                           : bp::search_path(argv[0]);
  if (executable.empty()) {
    return tl::unexpected("'" + argv[0] + "' is not on PATH");
  }
  return executable;
}

// set(), not env[name] = value: Boost 1.74's environment::find compares
// "NAME=" with each entry over the name's length, reading past the end of
// a shorter entry (boostorg/process#122 and #246; fixed upstream in 2022,
// after 1.74). ASan reports it in every spawn.
bp::environment make_environment(const std::vector<std::string>& entries)
{
  bp::environment env;
  for (const auto& entry : entries) {
    const auto equals = entry.find('=');
    if (equals != std::string::npos && equals > 0) {
      env.set(entry.substr(0, equals), entry.substr(equals + 1));
    }
  }
  return env;
}

// A file descriptor closed when it goes out of scope (-1: none).
class InputFile {
public:
  explicit InputFile(int fd) : m_fd(fd) {}
  InputFile(InputFile&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  InputFile& operator=(InputFile&&) = delete;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  int get() const { return m_fd; }

private:
  int m_fd;
};

// A child's stdin holding `data`: an anonymous memory file, so any size is
// handed over at once, with nothing to clean up and no writer to block.
tl::expected<InputFile, std::string> input_file(const std::string& data)
{
  if (data.empty()) {
    return InputFile(-1);
  }
  InputFile file(::memfd_create("drydock-input", MFD_CLOEXEC));
  if (file.get() < 0) {
    return tl::unexpected(fmt::format("cannot hold the step's input: {}", std::strerror(errno)));
  }
  for (std::size_t at = 0; at < data.size();) {
    const auto written = ::write(file.get(), data.data() + at, data.size() - at);
    if (written <= 0 && !(written < 0 && errno == EINTR)) {
      return tl::unexpected(fmt::format("cannot write the step's input: {}", std::strerror(errno)));
    }
    at += written > 0 ? static_cast<std::size_t>(written) : 0;
  }
  if (::lseek(file.get(), 0, SEEK_SET) != 0) {
    return tl::unexpected(fmt::format("cannot rewind the step's input: {}", std::strerror(errno)));
  }
  return file;
}

// Boost.Process makes pipes without O_CLOEXEC, so every other child
// would inherit them (a daemon would hold them open for good). The child
// that should have the pipe gets it through dup2, which clears the flag.
void close_on_exec(bp::async_pipe& pipe)
{
  ::fcntl(pipe.native_source(), F_SETFD, FD_CLOEXEC);
  ::fcntl(pipe.native_sink(), F_SETFD, FD_CLOEXEC);
}

// In the child, before exec: every descriptor above stderr is closed by the
// exec, so no child inherits what another thread of drydock holds open (the
// agent's listening socket, its clients, a git pipe). CLOSE_RANGE_CLOEXEC,
// not a close: Boost.Process reports a failed exec through a pipe it
// marked close-on-exec itself. Without close_range (Linux < 5.11), fcntl
// over the descriptors the soft limit allows. Async-signal-safe either way.
void close_inherited_descriptors()
{
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
    return;
  }
  rlimit limit{};
  const rlim_t most = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? limit.rlim_cur
                                                                                                 : 65536;
  for (int fd = 3; fd < static_cast<int>(std::min<rlim_t>(most, 1 << 20)); ++fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
}

// The hook every bp::child gets (ninja does the same with its subprocess
// pipes): see close_inherited_descriptors.
const auto no_inherited_descriptors = bp::extend::on_exec_setup = [](auto&) { close_inherited_descriptors(); };

// POSIX's exit status, with 128 + N for death by signal N, as a shell says.
int exit_status_of(int native_status, int evaluated)
{
  if (WIFSIGNALED(native_status)) {
    return 128 + WTERMSIG(native_status);
  }
  return evaluated;
}

} // namespace

// Waits in a thread of its own, in poll(2), for the reader of a pipe or
// socket to go away. asio would put the descriptor in O_NONBLOCK mode,
// and that flag lives in the open file description drydock shares with
// whoever else writes there (the shell's next command): never touch it.
class ReaderWatch {
public:
  ReaderWatch(int fd, std::function<void()> on_gone) : m_fd(fd), m_on_gone(std::move(on_gone))
  {
    if (::pipe2(m_stop, O_CLOEXEC) != 0) {
      m_stop[0] = m_stop[1] = -1;
      return;
    }
    m_thread = std::thread([this] { watch(); });
  }
  ~ReaderWatch()
  {
    if (m_thread.joinable()) {
      const char byte = 0;
      [[maybe_unused]] const auto wrote = ::write(m_stop[1], &byte, 1);
      m_thread.join();
    }
    for (const int fd : m_stop) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
  ReaderWatch(const ReaderWatch&) = delete;
  ReaderWatch& operator=(const ReaderWatch&) = delete;

private:
  void watch()
  {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, nullptr); // signals are the event loop's
    // No events asked for: poll reports POLLERR or POLLHUP for a writer
    // whose reader is gone, whatever the events.
    std::array<pollfd, 2> fds{pollfd{m_fd, 0, 0}, pollfd{m_stop[0], POLLIN, 0}};
    while (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) {
    }
    if (fds[1].revents == 0 && (fds[0].revents & (POLLERR | POLLHUP)) != 0) {
      m_on_gone();
    }
  }

  int m_fd;
  std::function<void()> m_on_gone;
  int m_stop[2] = {-1, -1};
  std::thread m_thread;
};

struct AsyncProcesses::Impl {
  struct Child {
    std::unique_ptr<bp::async_pipe> pipe;
    std::unique_ptr<bp::child> process;
    std::array<char, std::size_t{16} * 1024> buffer{};
    asio::steady_timer timer;
    asio::steady_timer drain;
    bool read_until_eof = false;
    bool exited = false;
    bool eof = false;
    bool reported = false;
    int exit_code = 0;

    explicit Child(asio::io_context& io) : timer(io), drain(io) {}
  };

  asio::io_context io;
  std::map<int, std::unique_ptr<Child>> children;
  std::set<pid_t> groups; // every process group spawned, for cleanup
  std::map<std::string, boost::filesystem::path> executables;
  std::deque<ProcessEvent> events;
  std::unique_ptr<asio::signal_set> interrupts;
  std::unique_ptr<ReaderWatch> reader_watch;
  int next_id = 1;

  // Children whose exit was reported while something they started still
  // holds their pipe: read on and discarded, so those processes are not
  // killed by SIGPIPE for writing (they end with the run's process groups).
  std::map<int, std::unique_ptr<Child>> abandoned;

  Child* find_child(int id);
  void read_more(int id);
  void watch_interrupts();
  void report_exit(int id);
  // The command exited but something it started still holds the pipe.
  void give_up_draining(int id);
  // The events so far, forgetting the children whose exit they report.
  std::vector<ProcessEvent> take_events();
  void on_exit(int id, int native_status, int evaluated);
};

AsyncProcesses::Impl::Child* AsyncProcesses::Impl::find_child(int id)
{
  if (const auto found = children.find(id); found != children.end()) {
    return found->second.get();
  }
  const auto found = abandoned.find(id);
  return found == abandoned.end() ? nullptr : found->second.get();
}

void AsyncProcesses::Impl::read_more(int id)
{
  Child& child = *find_child(id);
  child.pipe->async_read_some(asio::buffer(child.buffer), [this, id](const boost::system::error_code& ec,
                                                                     std::size_t size) {
    if (abandoned.contains(id)) {
      if (ec) {
        abandoned.erase(id);
      } else {
        read_more(id);
      }
      return;
    }
    const auto found = children.find(id);
    if (found == children.end()) {
      return;
    }
    Child& c = *found->second;
    if (size > 0) {
      events.push_back({ProcessEvent::Kind::output, id, std::string(c.buffer.data(), size), 0, 0});
    }
    if (ec) {
      c.eof = true;
      if (c.exited) {
        report_exit(id);
      }
      return;
    }
    read_more(id);
  });
}

void AsyncProcesses::Impl::report_exit(int id)
{
  // A drain timer that expired as the pipe closed can still call this after
  // the exit was reported and the child forgotten.
  const auto found = children.find(id);
  if (found == children.end() || found->second->reported) {
    return;
  }
  Child& child = *found->second;
  child.reported = true;
  child.timer.cancel();
  child.drain.cancel();
  // A group left empty is forgotten now: a long-lived caller (the agent)
  // must never signal a later process group that reused its id.
  if (child.process && ::kill(-child.process->id(), 0) != 0) {
    groups.erase(child.process->id());
  }
  events.push_back({ProcessEvent::Kind::exited, id, "", child.exit_code, 0});
}

void AsyncProcesses::Impl::on_exit(int id, int native_status, int evaluated)
{
  Child& child = *children.at(id);
  child.exited = true;
  child.exit_code = exit_status_of(native_status, evaluated);
  if (!child.pipe || child.eof) {
    report_exit(id);
    return;
  }
  if (child.read_until_eof) {
    return; // the read that sees EOF reports the exit
  }
  child.drain.expires_after(kDrainAfterExit);
  child.drain.async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) {
      give_up_draining(id);
    }
  });
}

void AsyncProcesses::Impl::give_up_draining(int id)
{
  const auto found = children.find(id);
  if (found == children.end() || found->second->reported || found->second->eof) {
    return;
  }
  events.push_back({ProcessEvent::Kind::output_abandoned, id, "", 0, 0});
  report_exit(id);
}

AsyncProcesses::AsyncProcesses() : m_impl(std::make_unique<Impl>()) {}

AsyncProcesses::~AsyncProcesses()
{
  signal_all_groups(SIGKILL); // nothing outlives drydock, even on a bug path
}

tl::expected<int, std::string> AsyncProcesses::spawn(const SpawnSpec& spec)
{
  Impl& impl = *m_impl;
  const int id = impl.next_id++;
  auto child = std::make_unique<Impl::Child>(impl.io);
  child->read_until_eof = spec.read_until_eof;
  auto& executable = impl.executables[spec.argv.at(0)]; // every step runs bash: look it up once
  if (executable.empty()) {
    const auto found = find_executable(spec.argv);
    if (!found) {
      return tl::unexpected(found.error());
    }
    executable = *found;
  }
  const std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
  const auto exit_handler = [&impl, id](int evaluated, const std::error_code&) {
    // Boost gives the evaluated code; ask the child for the raw status.
    const auto found = impl.children.find(id);
    if (found != impl.children.end()) {
      impl.on_exit(id, found->second->process ? found->second->process->native_exit_code() : 0, evaluated);
    }
  };
  const auto input = input_file(spec.input);
  if (!input) {
    return tl::unexpected(input.error());
  }
  const int input_fd = input->get();
  const auto own_group = bp::extend::on_exec_setup = [input_fd](auto&) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL); // drydock ignores it; the step must not
    // Over the /dev/null that `std_in < null` (an earlier argument, so an
    // earlier exec-setup hook) put there; dup2 clears close-on-exec.
    if (input_fd >= 0 && ::dup2(input_fd, STDIN_FILENO) < 0) {
      ::_exit(127); // no input is worse than no step: the exit says it failed to start
    }
    close_inherited_descriptors();
  };
  std::error_code error;
  try {
    child->pipe = std::make_unique<bp::async_pipe>(impl.io);
    close_on_exec(*child->pipe); // only this child gets it, on its stdout and stderr
    child->process = std::make_unique<bp::child>(executable, args, (bp::std_out & bp::std_err) > *child->pipe,
                                                 bp::std_in < bp::null, bp::start_dir = spec.cwd,
                                                 make_environment(spec.env), impl.io, bp::on_exit = exit_handler,
                                                 own_group, error);
  } catch (const std::exception& e) {
    return tl::unexpected(std::string(e.what()));
  }
  if (error) {
    return tl::unexpected(error.message());
  }
  impl.groups.insert(child->process->id());
  impl.children.emplace(id, std::move(child));
  impl.read_more(id);
  return id;
}

void AsyncProcesses::signal_group(int id, int sig)
{
  const auto found = m_impl->children.find(id);
  if (found != m_impl->children.end() && found->second->process) {
    ::kill(-found->second->process->id(), sig);
  }
}

void AsyncProcesses::signal_all_groups(int sig, const std::vector<int>& spared)
{
  // Forget groups that are gone, so a reused process group id is never hit.
  std::erase_if(m_impl->groups, [](pid_t group) { return ::kill(-group, 0) != 0; });
  std::set<pid_t> spared_groups;
  for (const int id : spared) {
    if (const auto found = m_impl->children.find(id); found != m_impl->children.end() && found->second->process) {
      spared_groups.insert(found->second->process->id());
    }
  }
  for (const pid_t group : m_impl->groups) {
    if (!spared_groups.contains(group)) {
      ::kill(-group, sig);
    }
  }
}

bool AsyncProcesses::any_group_alive() const
{
  for (const pid_t group : m_impl->groups) {
    if (::kill(-group, 0) == 0) {
      return true;
    }
  }
  return false;
}

void AsyncProcesses::arm_timer(int id, std::chrono::milliseconds after)
{
  auto& timer = m_impl->children.at(id)->timer;
  timer.expires_after(after);
  timer.async_wait([this, id](const boost::system::error_code& ec) {
    if (!ec) {
      m_impl->events.push_back({ProcessEvent::Kind::timer, id, "", 0, 0});
    }
  });
}

void AsyncProcesses::Impl::watch_interrupts()
{
  // Re-armed after each signal: a second Ctrl-C must reach the cleanup code,
  // not kill drydock with its children still running.
  interrupts->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (!ec) {
      events.push_back({ProcessEvent::Kind::signal, 0, "", 0, sig});
      watch_interrupts();
    }
  });
}

void AsyncProcesses::catch_interrupts()
{
  m_impl->interrupts = std::make_unique<asio::signal_set>(m_impl->io, SIGINT, SIGTERM, SIGHUP);
  m_impl->watch_interrupts();
}

void AsyncProcesses::watch_reader_of(int fd)
{
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !(S_ISFIFO(info.st_mode) || S_ISSOCK(info.st_mode))) {
    return; // a terminal hangs up with SIGHUP; files have no reader
  }
  Impl& impl = *m_impl;
  impl.reader_watch = std::make_unique<ReaderWatch>(fd, [&impl] {
    asio::post(impl.io, [&impl] { impl.events.push_back({ProcessEvent::Kind::signal, 0, "", 0, SIGPIPE}); });
  });
}

std::vector<ProcessEvent> AsyncProcesses::poll()
{
  Impl& impl = *m_impl;
  impl.io.restart();
  while (impl.events.empty() && impl.io.poll_one() > 0) {
  }
  return impl.take_events();
}

std::vector<ProcessEvent> AsyncProcesses::wait(std::optional<std::chrono::milliseconds> timeout)
{
  Impl& impl = *m_impl;
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::hours(24 * 365));
  while (impl.events.empty()) {
    impl.io.restart();
    if (impl.io.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) {
      break;
    }
  }
  return impl.take_events();
}

std::vector<ProcessEvent> AsyncProcesses::Impl::take_events()
{
  std::vector<ProcessEvent> out(events.begin(), events.end());
  events.clear();
  for (const auto& event : out) {
    if (event.kind != ProcessEvent::Kind::exited) {
      continue;
    }
    const auto found = children.find(event.id);
    if (found != children.end() && found->second->pipe && !found->second->eof) {
      abandoned.emplace(event.id, std::move(found->second));
    }
    children.erase(event.id);
  }
  return out;
}

namespace {

// Closes our copy of one end of a pipe, so the other end sees EOF when the
// child is done with it.
template <class Get, class Set>
void close_end(bp::pipe& pipe, Get get, Set set)
{
  ::close((pipe.*get)());
  (pipe.*set)(-1);
}

int finished_status(bp::child& child)
{
  child.wait();
  return child.exit_code();
}

using Executable = boost::filesystem::path;
using Arguments = std::vector<std::string>;

// What every synchronous run does around its own redirections: looks the
// command up, then calls launch(executable, arguments); a command not
// found and Boost.Process's exceptions become error values.
template <class Result, class Launch>
tl::expected<Result, std::string> run_found(const std::vector<std::string>& argv, const Launch& launch)
{
  const auto executable = find_executable(argv);
  if (!executable) {
    return tl::unexpected(executable.error());
  }
  try {
    return launch(*executable, Arguments(argv.begin() + 1, argv.end()));
  } catch (const std::exception& e) {
    return tl::unexpected(std::string(e.what()));
  }
}

} // namespace

tl::expected<CaptureResult, std::string> run_capture(const std::vector<std::string>& argv, const std::string& cwd,
                                                     Stderr stderr_mode)
{
  return run_found<CaptureResult>(argv, [&](const Executable& executable, const Arguments& args) {
    bp::ipstream out;
    // Boost.Process types each redirection differently, so only the child
    // differs between the modes; reading and waiting are the same.
    const auto collect = [&out](bp::child& child) {
      CaptureResult result;
      const std::string all{std::istreambuf_iterator<char>(out), std::istreambuf_iterator<char>()};
      for (const auto line : util::lines(all)) {
        result.output.append(line).append(1, '\n'); // a missing final newline is added
      }
      result.exit_code = finished_status(child);
      return result;
    };
    if (stderr_mode == Stderr::discard) {
      bp::child child(executable, args, bp::std_out > out, bp::std_err > bp::null, bp::std_in < bp::null,
                      bp::start_dir = cwd, no_inherited_descriptors);
      return collect(child);
    }
    if (stderr_mode == Stderr::merge) {
      bp::child child(executable, args, (bp::std_out & bp::std_err) > out, bp::std_in < bp::null, bp::start_dir = cwd,
                      no_inherited_descriptors);
      return collect(child);
    }
    bp::child child(executable, args, bp::std_out > out, bp::std_in < bp::null, bp::start_dir = cwd,
                    no_inherited_descriptors);
    return collect(child);
  });
}

tl::expected<int, std::string> run_passthrough(const std::vector<std::string>& argv, const std::string& cwd)
{
  return run_found<int>(argv, [&](const Executable& executable, const Arguments& args) {
    bp::child child(executable, args, bp::std_in < bp::null, bp::start_dir = cwd, no_inherited_descriptors);
    return finished_status(child);
  });
}

tl::expected<int, std::string> run_stdout_to(const std::vector<std::string>& argv, const std::string& cwd,
                                             const Consume& consume)
{
  return run_found<int>(
      argv, [&](const Executable& executable, const Arguments& args) -> tl::expected<int, std::string> {
        bp::pipe out;
        bp::child child(executable, args, bp::std_out > out, bp::std_in < bp::null, bp::start_dir = cwd,
                        no_inherited_descriptors);
        close_end(out, &bp::pipe::native_sink, &bp::pipe::assign_sink); // the child holds the write end
        std::string buffer(1 << 17, '\0');
        while (true) {
          const int got = out.read(buffer.data(), static_cast<int>(buffer.size()));
          if (got <= 0) {
            break;
          }
          if (auto consumed = consume(std::string_view(buffer.data(), static_cast<std::size_t>(got))); !consumed) {
            child.terminate();
            return tl::unexpected(consumed.error());
          }
        }
        return finished_status(child);
      });
}

tl::expected<int, std::string> run_stdin_from(const std::vector<std::string>& argv, const std::string& cwd,
                                              const Produce& produce)
{
  return run_found<int>(
      argv, [&](const Executable& executable, const Arguments& args) -> tl::expected<int, std::string> {
        bp::pipe in;
        bp::child child(executable, args, bp::std_in < in, bp::start_dir = cwd, no_inherited_descriptors);
        close_end(in, &bp::pipe::native_source,
                  &bp::pipe::assign_source); // the child holds the read end
        std::string buffer;
        while (true) {
          buffer.clear();
          const auto more = produce(buffer);
          if (!more) {
            child.terminate();
            return tl::unexpected(more.error());
          }
          for (std::size_t at = 0; at < buffer.size();) {
            const int wrote = in.write(buffer.data() + at, static_cast<int>(buffer.size() - at));
            at += static_cast<std::size_t>(std::max(wrote, 0));
          }
          if (!*more) {
            break;
          }
        }
        in.close();
        return finished_status(child);
      });
}

namespace {

// Who a daemon runs as, looked up before fork (getpwnam and getgrouplist
// are not safe between fork and exec).
struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::vector<std::string> env; // HOME, USER, LOGNAME, as runuser sets them
};

tl::expected<Identity, std::string> identity_of(const std::string& user)
{
  const passwd* account = ::getpwnam(user.c_str());
  if (account == nullptr) {
    return tl::unexpected(fmt::format("no user {}", user));
  }
  Identity identity{account->pw_uid, account->pw_gid, std::vector<gid_t>(64), {}};
  int count = static_cast<int>(identity.groups.size());
  if (::getgrouplist(user.c_str(), account->pw_gid, identity.groups.data(), &count) < 0) {
    identity.groups.resize(static_cast<std::size_t>(count)); // count: how many there are
    if (::getgrouplist(user.c_str(), account->pw_gid, identity.groups.data(), &count) < 0) {
      return tl::unexpected(fmt::format("cannot list the groups of {}", user));
    }
  }
  identity.groups.resize(static_cast<std::size_t>(count));
  identity.env = {std::string("HOME=") + account->pw_dir, "USER=" + user, "LOGNAME=" + user};
  return identity;
}

// In the grandchild: only async-signal-safe calls, then exec. Writes errno
// to `report` when a step fails. The identity is taken before the log is
// opened, and the log never through a link or as a FIFO: its folder may
// be the server user's, who must not get root to write elsewhere.
[[noreturn]] void become_daemon(const std::vector<char*>& argv, const std::vector<char*>& envp, const char* cwd,
                                const char* log, const std::optional<Identity>& identity, int report)
{
  const bool became = !identity
                      || (::setgroups(identity->groups.size(), identity->groups.data()) == 0
                          && ::setgid(identity->gid) == 0 && ::setuid(identity->uid) == 0);
  const int input = became ? ::open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
  const int output = input >= 0 ? ::open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600)
                                : -1;
  struct stat info {};
  const bool ok = output >= 0 && ::fstat(output, &info) == 0 && S_ISREG(info.st_mode) && ::dup2(input, 0) == 0
                  && ::dup2(output, 1) == 1 && ::dup2(output, 2) == 2 && ::chdir(cwd) == 0;
  if (ok) {
    close_inherited_descriptors();
    ::execve(argv[0], argv.data(), envp.data());
  }
  const int error = errno;
  [[maybe_unused]] const auto written = ::write(report, &error, sizeof error);
  ::_exit(127);
}

// Reads exactly `size` bytes, through EINTR; false at EOF first.
bool read_whole(int fd, void* into, std::size_t size)
{
  ssize_t got = 0;
  do {
    got = ::read(fd, into, size);
  } while (got < 0 && errno == EINTR);
  return got == static_cast<ssize_t>(size);
}

// This process's environment, with the identity's HOME, USER and LOGNAME.
std::vector<std::string> daemon_environment(const std::optional<Identity>& identity)
{
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto name = text.substr(0, text.find('=') + 1);
    if (!identity || (name != "HOME=" && name != "USER=" && name != "LOGNAME=")) {
      env.emplace_back(text);
    }
  }
  if (identity) {
    env.insert(env.end(), identity->env.begin(), identity->env.end());
  }
  return env;
}

// execve's arrays: pointers into `strings`, which must outlive them.
std::vector<char*> pointers_to(std::vector<std::string>& strings)
{
  std::vector<char*> pointers;
  for (auto& text : strings) {
    pointers.push_back(text.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

} // namespace

tl::expected<int, std::string> spawn_daemon(const DaemonSpec& spec)
{
  std::optional<Identity> identity;
  if (spec.user) {
    auto found = identity_of(*spec.user);
    if (!found) {
      return tl::unexpected(found.error());
    }
    identity = std::move(*found);
  }
  auto args = spec.argv;
  auto env = daemon_environment(identity);
  const auto argv = pointers_to(args);
  const auto envp = pointers_to(env);
  // The pipe carries the server's pid, then an errno if exec fails; exec
  // closes it (O_CLOEXEC), which is how success is told.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return tl::unexpected(fmt::format("cannot start {}: {}", spec.argv.front(), std::strerror(errno)));
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(report[0]);
    ::setsid();
    const pid_t server = ::fork();
    if (server == 0) {
      become_daemon(argv, envp, spec.cwd.c_str(), spec.log.c_str(), identity, report[1]);
    }
    [[maybe_unused]] const auto written = ::write(report[1], &server, sizeof server);
    ::_exit(server > 0 ? 0 : 1);
  }
  ::close(report[1]);
  int status = 0;
  if (child > 0) {
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_t server = -1;
  int exec_error = 0;
  const bool got_pid = child > 0 && read_whole(report[0], &server, sizeof server) && server > 0;
  const bool exec_failed = got_pid && read_whole(report[0], &exec_error, sizeof exec_error);
  ::close(report[0]);
  if (!got_pid || exec_failed) {
    return tl::unexpected(fmt::format("cannot start {}: {}", spec.argv.front(),
                                      std::strerror(exec_failed  ? exec_error
                                                    : errno != 0 ? errno
                                                                 : EAGAIN)));
  }
  return server;
}

} // namespace drydock::os
