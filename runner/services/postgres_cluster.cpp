#include "services/postgres_cluster.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <linux/magic.h>
#include <csignal>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "os/process.hpp"
#include "services/postgres_spare.hpp"
#include "services/postgres_template.hpp"

namespace fs = std::filesystem;

namespace drydock::services {
namespace {

constexpr const char* kServerUser = "postgres";

bool has_tools(const fs::path& dir)
{
  for (const char* tool : {"initdb", "pg_ctl", "postgres", "psql"}) {
    if (::access((dir / tool).c_str(), X_OK) != 0) {
      return false;
    }
  }
  return true;
}

// Where initdb, pg_ctl, postgres and psql all are: Debian's newest
// versioned folder (not on PATH there), else a folder on PATH.
std::string bin_dir()
{
  std::string best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && has_tools(entry.path() / "bin")) {
      best = (entry.path() / "bin").string();
      best_version = version;
    }
  }
  if (!best.empty()) {
    return best;
  }
  const char* path = std::getenv("PATH");
  std::string rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    std::string dir = rest.substr(0, colon);
    if (!dir.empty() && has_tools(dir)) {
      return dir;
    }
    rest = colon == std::string::npos ? "" : rest.substr(colon + 1);
  }
  return {};
}

bool running_as_root() { return ::geteuid() == 0; }

// A PostgreSQL tool, run as the server's user when we are root.
std::vector<std::string> tool(const std::string& name, std::vector<std::string> args)
{
  std::vector<std::string> argv;
  if (running_as_root()) {
    argv = {"runuser", "-u", kServerUser, "--"};
  }
  argv.push_back((fs::path(bin_dir()) / name).string());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

tl::expected<void, std::string> run_tool(const std::vector<std::string>& argv, const std::string& what)
{
  const auto result = os::run_capture(argv, "/", os::Stderr::merge);
  if (!result) {
    return tl::unexpected(fmt::format("{}: {}", what, result.error()));
  }
  if (result->exit_code != 0) {
    return tl::unexpected(fmt::format("{} failed (exit {}):\n{}", what, result->exit_code, result->output));
  }
  return {};
}

tl::expected<void, std::string> append(const fs::path& file, const std::string& text, bool replace)
{
  std::ofstream out(file, replace ? std::ios::trunc : std::ios::app);
  out << text;
  if (!out.flush()) {
    return tl::unexpected(fmt::format("cannot write {}", file.string()));
  }
  return {};
}

std::string percent_encode(const std::string& text)
{
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

} // namespace

std::string hba_text(const std::string& trust_subnet)
{
  std::string text = "# drydock: a throwaway cluster; trust on the socket, loopback and the Docker bridge only\n"
                     "local all all trust\n"
                     "host all all 127.0.0.1/32 trust\n";
  if (!trust_subnet.empty()) {
    text += fmt::format("host all all {} trust\n", trust_subnet);
  }
  return text;
}

std::string settings_text(const ClusterSpec& spec)
{
  std::string addresses;
  for (const auto& address : spec.listen) {
    addresses += (addresses.empty() ? "" : ",") + address;
  }
  return fmt::format("\n# drydock\nlisten_addresses = '{}'\nport = {}\nunix_socket_directories = '{}'\n"
                     "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
                     addresses, spec.port, (fs::path(spec.dir) / "socket").string());
}

// The server user must be able to walk down to its directory.
bool others_can_enter_all_of(const fs::path& dir)
{
  for (fs::path at = fs::absolute(dir); !at.empty(); at = at.parent_path()) {
    struct stat info {};
    if (::stat(at.c_str(), &info) != 0 || (info.st_mode & S_IXOTH) == 0) {
      return false;
    }
    if (at == at.root_path()) {
      break;
    }
  }
  return true;
}

tl::expected<std::string, std::string> make_cluster_dir(const std::string& tmp_dir)
{
  if (running_as_root() && !others_can_enter_all_of(tmp_dir)) {
    return tl::unexpected(fmt::format("the cluster runs as user 'postgres', which cannot enter {}; "
                                      "point TMPDIR at a directory it can reach",
                                      tmp_dir));
  }
  std::string pattern = (fs::path(tmp_dir) / "drydock-postgres-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return tl::unexpected(fmt::format("cannot create a directory under {}: {}", tmp_dir, std::strerror(errno)));
  }
  if (running_as_root()) {
    const passwd* user = ::getpwnam(kServerUser);
    if (user == nullptr) {
      fs::remove(pattern);
      return tl::unexpected(std::string("running as root, the cluster runs as user 'postgres', which does not "
                                        "exist (install postgresql-15)"));
    }
    if (::chown(pattern.c_str(), user->pw_uid, user->pw_gid) != 0) {
      fs::remove(pattern);
      return tl::unexpected(fmt::format("cannot hand {} to postgres: {}", pattern, std::strerror(errno)));
    }
  }
  return pattern;
}

std::optional<FolderSpace> folder_space(const std::string& dir)
{
  struct statfs fs_info {};
  if (::statfs(dir.c_str(), &fs_info) != 0 || ::access(dir.c_str(), W_OK) != 0) {
    return std::nullopt;
  }
  return FolderSpace{fs_info.f_type == TMPFS_MAGIC,
                     static_cast<std::uintmax_t>(fs_info.f_bavail) * static_cast<std::uintmax_t>(fs_info.f_bsize)};
}

std::string cluster_parent_dir(const std::optional<std::string>& tmpdir, const std::optional<FolderSpace>& memory)
{
  if (tmpdir && !tmpdir->empty()) {
    return *tmpdir;
  }
  if (memory && memory->memory && memory->free_bytes >= kMemoryClusterRoom) {
    return kMemoryFolder;
  }
  return "/tmp";
}

std::vector<std::string> cluster_parent_dirs(const std::optional<std::string>& tmpdir)
{
  std::vector<std::string> dirs{cluster_parent_dir(tmpdir, std::nullopt)};
  if (dirs.front() != kMemoryFolder && fs::is_directory(kMemoryFolder)) {
    dirs.emplace_back(kMemoryFolder);
  }
  return dirs;
}

namespace {

long long elapsed_ms(std::chrono::steady_clock::time_point since)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

const passwd* server_account() { return running_as_root() ? ::getpwnam(kServerUser) : ::getpwuid(::geteuid()); }
unsigned server_uid_of_account() { return server_account() != nullptr ? server_account()->pw_uid : ::geteuid(); }
unsigned server_gid() { return server_account() != nullptr ? server_account()->pw_gid : ::getegid(); }

std::optional<std::string> process_environment(const std::string& name)
{
  const char* value = std::getenv(name.c_str());
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

// What initdb bakes in beyond its arguments: the locale and time zone it
// finds in its environment (the step's) and on the system.
std::vector<std::string> baked_environment(const EnvLookup& lookup)
{
  std::vector<std::string> found;
  for (const char* name :
       {"LANG", "LC_ALL", "LC_COLLATE", "LC_CTYPE", "LC_MESSAGES", "LC_MONETARY", "LC_NUMERIC", "LC_TIME", "TZ"}) {
    found.push_back(fmt::format("{}={}", name, lookup(name).value_or("")));
  }
  std::error_code ec;
  found.push_back("/etc/localtime=" + fs::read_symlink("/etc/localtime", ec).string());
  return found;
}

// 1 MB WAL segments: a fresh cluster's 16 MB segment is most of what each
// run would copy.
std::vector<std::string> initdb_settings()
{
  return {"--username", kServerUser, "--auth", "trust", "--encoding", "UTF8", "--wal-segsize", "1"};
}

std::vector<std::string> initdb_argv(const std::string& data)
{
  auto args = initdb_settings();
  args.insert(args.end(), {"--no-sync", "--no-instructions", "--pgdata", data});
  return args;
}

bool creates_user(const ClusterSpec& spec) { return spec.user != kServerUser; }

tl::expected<TemplateInputs, std::string> template_inputs(const ClusterSpec& spec,
                                                          const EnvLookup& lookup = process_environment)
{
  auto version = server_version((fs::path(bin_dir()) / "postgres").string(), spec.template_root);
  if (!version) {
    return tl::unexpected(version.error());
  }
  TemplateInputs inputs{*version, server_account() != nullptr ? server_account()->pw_name : "", {}, {}};
  inputs.initdb_args = initdb_settings();
  const auto baked = baked_environment(lookup);
  inputs.initdb_args.insert(inputs.initdb_args.end(), baked.begin(), baked.end());
  if (creates_user(spec)) {
    inputs.roles.push_back("user " + spec.user);
  }
  for (const auto& database : spec.databases) {
    inputs.roles.push_back("database " + database);
  }
  return inputs;
}

// A line of postmaster.pid (PostgreSQL's LOCK_FILE_LINE_*: 1 the pid,
// 2 the data folder, 8 whether it accepts connections), trailing blanks cut.
std::string pid_file_line(const fs::path& data, int wanted)
{
  std::ifstream in(data / "postmaster.pid");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (number == wanted) {
      return line.substr(0, line.find_last_not_of(' ') + 1);
    }
  }
  return {};
}

std::string server_status(const fs::path& data) { return pid_file_line(data, 8); }


// Whether `pid` is a postgres server of the server's user. The pid file is
// the server user's to write, and drydock may be root: a pid file naming
// sshd, or a stale pid reused by another program, must not be signalled.
bool is_server_process(pid_t pid)
{
  std::error_code ec;
  const auto exe = fs::read_symlink(fmt::format("/proc/{}/exe", pid), ec);
  struct stat info {};
  return !ec && exe == fs::path(bin_dir()) / "postgres" && ::stat(fmt::format("/proc/{}", pid).c_str(), &info) == 0
         && info.st_uid == server_uid_of_account();
}

// The postmaster's pid, when its pid file is there, names this folder and
// a running server of ours.
std::optional<pid_t> server_pid(const fs::path& data)
{
  const int pid = std::atoi(pid_file_line(data, 1).c_str());
  std::error_code ec;
  const bool ours = fs::equivalent(pid_file_line(data, 2), data, ec) && !ec;
  return pid > 0 && ours && is_server_process(pid) ? std::optional<pid_t>(pid) : std::nullopt;
}

// Running, not a zombie: the server is no child of ours, and whoever
// reaps it (init, a subreaper) may take its time.
bool running(pid_t pid)
{
  if (::kill(pid, 0) != 0 && errno == ESRCH) {
    return false;
  }
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  const std::string stat{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto after_name = stat.rfind(") ");
  return after_name == std::string::npos || stat.compare(after_name + 2, 1, "Z") != 0;
}

bool gone_within(pid_t pid, std::chrono::milliseconds limit)
{
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (running(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

enum class StopMode { fast = SIGINT, immediate = SIGQUIT };

// As `pg_ctl -m MODE stop` signals the postmaster, without its process and
// its 100 ms polls: immediate for a run's cluster (its data is thrown away,
// so nothing needs writing out), fast (a clean checkpoint) for a template.
// SIGKILL when the server has not gone in 10 s.
tl::expected<void, std::string> stop_server(const fs::path& data, StopMode mode = StopMode::immediate)
{
  const auto pid = server_pid(data);
  if (!pid || ::kill(*pid, static_cast<int>(mode)) != 0) {
    return {}; // not running
  }
  if (gone_within(*pid, std::chrono::seconds(10))) {
    return {};
  }
  ::kill(*pid, SIGKILL);
  if (gone_within(*pid, std::chrono::seconds(2))) {
    return tl::unexpected(fmt::format("postgres (pid {}) did not stop in 10 s; killed it", *pid));
  }
  return tl::unexpected(fmt::format("postgres (pid {}) does not stop", *pid));
}

std::string read_all(const fs::path& file)
{
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

enum class StartFailure { port_taken, other };
struct StartError {
  StartFailure kind = StartFailure::other;
  std::string message;
};

// pg_ctl's own --wait looks every 100 ms; a fresh copy is ready sooner,
// so the pid file's status is read every few milliseconds instead.
tl::expected<void, StartError> wait_ready(const ClusterSpec& spec, const fs::path& data, const fs::path& server_log)
{
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::string loopback_refused = fmt::format("could not bind IPv4 address \"{}\"",
                                                   spec.listen.empty() ? "127.0.0.1" : spec.listen.front());
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_all(server_log);
    if (text.find(loopback_refused) != std::string::npos) {
      return tl::unexpected(StartError{StartFailure::port_taken, text});
    }
    if (text.find("FATAL:") != std::string::npos) {
      return tl::unexpected(StartError{StartFailure::other, text});
    }
    if (server_status(data) == "ready") {
      return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  return tl::unexpected(StartError{StartFailure::other, "not ready after 60 s:\n" + read_all(server_log)});
}

// The parent holds the port (reserve_port), so another drydock cannot take
// it; a bind refused is retried a few times, for whatever briefly had it.
tl::expected<void, std::string> start_server(const ClusterSpec& spec, const fs::path& data,
                                             const std::vector<std::string>& settings = {})
{
  const fs::path server_log = fs::path(spec.dir) / "server.log";
  std::vector<std::string> argv{(fs::path(bin_dir()) / "postgres").string(), "-D", data.string()};
  for (const auto& setting : settings) {
    argv.insert(argv.end(), {"-c", setting});
  }
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    std::error_code ec;
    fs::remove(server_log, ec);
    const os::DaemonSpec server{argv, "/", server_log.string(),
                                running_as_root() ? std::optional<std::string>(kServerUser) : std::nullopt};
    if (auto started = os::spawn_daemon(server); !started) {
      return tl::unexpected(started.error());
    }
    const auto ready = wait_ready(spec, data, server_log);
    if (ready) {
      return {};
    }
    [[maybe_unused]] const auto stopped = stop_server(data);
    if (ready.error().kind != StartFailure::port_taken || attempt == kAttempts) {
      return tl::unexpected(fmt::format("the server did not start{}:\n{}",
                                        ready.error().kind == StartFailure::port_taken
                                            ? fmt::format(" (port {} taken, {} attempts)", spec.port, attempt)
                                            : "",
                                        ready.error().message));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
  }
}

tl::expected<void, std::string> make_roles(const ClusterSpec& spec, const fs::path& data);

// The spare setup took (services/postgres_spare.hpp) is a real folder of
// the server's user, copied from the template of these inputs.
bool taken_spare_fits(const ClusterSpec& spec, const fs::path& data, const std::string& key)
{
  struct stat info {};
  if (::lstat(data.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != server_uid_of_account()) {
    return false;
  }
  std::ifstream in(fs::path(spec.dir) / kSpareKeyFile);
  std::string written;
  std::getline(in, written);
  return written == key;
}

// The cluster's data: a copy of the template, or initdb and the roles
// (then saved as the template for the next runs). Logs which.
tl::expected<void, std::string> prepare_data(const ClusterSpec& spec, const fs::path& data, const Log& log)
{
  std::error_code ec;
  const auto inputs = template_inputs(spec);
  if (!inputs) {
    return tl::unexpected(inputs.error());
  }
  if (taken_spare_fits(spec, data, template_key(*inputs))) {
    log("postgres template: took the spare copy made by an earlier run");
    return {};
  }
  fs::remove_all(data, ec); // a spare of other inputs (another locale or time zone): not ours to use
  const auto owner = server_uid();
  const fs::path template_dir = fs::path(spec.template_root) / template_key(*inputs);
  const auto usable = spec.template_root.empty() ? tl::unexpected(std::string("none"))
                                                 : check_template(template_dir.string(), *inputs, owner);
  if (usable) {
    if (auto copied = copy_data((template_dir / "data").string(), data.string()); !copied) {
      return copied;
    }
    log(fmt::format("postgres template: reused {}", template_dir.string()));
    return {};
  }
  if (!spec.template_root.empty() && fs::exists(template_dir, ec)) {
    log(fmt::format("postgres template: {} cannot be used ({}); building it again", template_dir.string(),
                    usable.error()));
  }
  // A spare copied from the template this replaces would outlive it (the
  // folder is checked to be ours when a spare is made or taken).
  fs::remove_all(spare_dir(fs::path(spec.dir).parent_path().string(), template_key(*inputs)), ec);
  const auto began = std::chrono::steady_clock::now();
  if (auto done = run_tool(tool("initdb", initdb_argv(data.string())), "initdb"); !done) {
    return done;
  }
  if (auto done = make_roles(spec, data); !done) {
    return done;
  }
  if (spec.template_root.empty()) {
    return {};
  }
  if (auto saved = save_template(data.string(), spec.template_root, *inputs, owner); !saved) {
    log(fmt::format("postgres template: not saved ({}); the next run runs initdb again", saved.error()));
    return {};
  }
  log(fmt::format("postgres template: built {} in {} ms", template_dir.string(), elapsed_ms(began)));
  return {};
}

tl::expected<void, std::string> make_socket_dir(const ClusterSpec& spec)
{
  const fs::path socket = fs::path(spec.dir) / "socket";
  std::error_code ec;
  fs::create_directories(socket, ec);
  if (running_as_root() && ::chown(socket.c_str(), server_uid(), server_gid()) != 0) {
    return tl::unexpected(fmt::format("cannot hand {} to postgres", socket.string()));
  }
  return {};
}

tl::expected<void, std::string> configure(const ClusterSpec& spec, const fs::path& data)
{
  // The server refuses a data folder others can enter.
  std::error_code ec;
  fs::permissions(data, fs::perms::owner_all, ec);
  if (ec) {
    return tl::unexpected(fmt::format("cannot make {} private: {}", data.string(), ec.message()));
  }
  if (auto done = append(data / "postgresql.conf", settings_text(spec), false); !done) {
    return done;
  }
  if (auto done = append(data / "pg_hba.conf", hba_text(spec.trust_subnet), true); !done) {
    return done;
  }
  return make_socket_dir(spec);
}

// The declared user and databases, in one psql run: the names travel as
// psql variables, quoted by psql (:"name"), never spliced into SQL.
tl::expected<void, std::string> create_roles(const ClusterSpec& spec)
{
  const bool new_user = creates_user(spec);
  const fs::path script = fs::path(spec.dir) / "roles.sql";
  std::vector<std::string> args{"--no-psqlrc", "--quiet",
                                "--host",      (fs::path(spec.dir) / "socket").string(),
                                "--port",      std::to_string(spec.port),
                                "--username",  kServerUser,
                                "--dbname",    "postgres",
                                "--set",       "ON_ERROR_STOP=1",
                                "--set",       "user=" + spec.user,
                                "--file",      script.string()};
  for (std::size_t i = 0; i < spec.databases.size(); ++i) {
    args.insert(args.end(), {"--set", fmt::format("db{}={}", i, spec.databases[i])});
  }
  if (auto written = append(script, roles_script(new_user, spec.databases.size()), true); !written) {
    return written;
  }
  // psql runs as the server's user: readable under any umask (names, no secrets).
  std::error_code ec;
  fs::permissions(script,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read, ec);
  return run_tool(tool("psql", args),
                  fmt::format("creating user {} and databases {}", spec.user, fmt::join(spec.databases, ", ")));
}

// The declared user and databases, made once in a fresh initdb's data
// (which then becomes the template): the server started on the socket
// alone, psql, and a fast stop, so each copy starts from a clean checkpoint
// with nothing left to make.
tl::expected<void, std::string> make_roles(const ClusterSpec& spec, const fs::path& data)
{
  if (!creates_user(spec) && spec.databases.empty()) {
    return {};
  }
  if (auto done = make_socket_dir(spec); !done) {
    return done;
  }
  const std::vector<std::string> socket_only{"listen_addresses=", "port=" + std::to_string(spec.port),
                                             "unix_socket_directories=" + (fs::path(spec.dir) / "socket").string(),
                                             "fsync=off"};
  if (auto done = start_server(spec, data, socket_only); !done) {
    return done;
  }
  auto made = create_roles(spec);
  if (auto stopped = stop_server(data, StopMode::fast); !stopped && made) {
    made = tl::unexpected(stopped.error());
  }
  return made;
}

} // namespace

tl::expected<UsableTemplate, std::string> usable_template(const ClusterSpec& spec, const EnvLookup& step_env)
{
  if (spec.template_root.empty() || bin_dir().empty()) {
    return tl::unexpected(std::string("no templates"));
  }
  const auto inputs = template_inputs(spec, step_env);
  if (!inputs) {
    return tl::unexpected(inputs.error());
  }
  UsableTemplate found{(fs::path(spec.template_root) / template_key(*inputs)).string(), template_key(*inputs)};
  if (auto checked = check_template(found.dir, *inputs, server_uid()); !checked) {
    return tl::unexpected(checked.error());
  }
  return found;
}

unsigned server_uid() { return server_uid_of_account(); }

// FILE_COPY: copies template1's files once, where the default (WAL_LOG)
// writes them twice, into the WAL as well; its checkpoints cost nothing
// with fsync off.
std::string roles_script(bool create_user, std::size_t databases)
{
  std::string sql = create_user ? "CREATE ROLE :\"user\" SUPERUSER LOGIN;\n" : "";
  for (std::size_t i = 0; i < databases; ++i) {
    sql += fmt::format("CREATE DATABASE :\"db{}\" OWNER :\"user\" STRATEGY FILE_COPY;\n", i);
  }
  return sql;
}

tl::expected<void, std::string> start_cluster(const ClusterSpec& spec, const Log& log)
{
  if (bin_dir().empty()) {
    return tl::unexpected(std::string("PostgreSQL's initdb is not installed (apt-get install postgresql-15)"));
  }
  const auto began = std::chrono::steady_clock::now();
  const fs::path data = fs::path(spec.dir) / "data";
  if (auto done = prepare_data(spec, data, log); !done) {
    return done;
  }
  if (auto done = configure(spec, data); !done) {
    return done;
  }
  const auto copied = elapsed_ms(began);
  if (auto done = start_server(spec, data); !done) {
    return done;
  }
  const auto started = elapsed_ms(began);
  std::string addresses;
  for (const auto& address : spec.listen) {
    addresses += fmt::format("{}{}:{}", addresses.empty() ? "" : ", ", address, spec.port);
  }
  log(fmt::format("postgresql: started in {}, listening on {}", spec.dir, addresses));
  log(fmt::format("postgresql: user {}, databases {}; ready in {} ms (data {} ms, server {} ms)", spec.user,
                  fmt::join(spec.databases, ", "), started, copied, started - copied));
  return {};
}

void remove_cluster(const std::string& dir, const Log& log)
{
  const fs::path data = fs::path(dir) / "data";
  std::error_code ec;
  if (auto stopped = stop_server(data); !stopped) {
    log(stopped.error());
  }
  fs::remove_all(dir, ec);
  if (ec) {
    log(fmt::format("cannot remove {}: {}", dir, ec.message()));
  }
}

int free_port()
{
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

tl::expected<ReservedPort, std::string> reserve_port()
{
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return tl::unexpected(fmt::format("cannot open a socket: {}", std::strerror(errno)));
  }
  const int on = 1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t size = sizeof address;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0
      || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    return tl::unexpected("cannot reserve a port: " + reason);
  }
  return ReservedPort{ntohs(address.sin_port), fd};
}

std::string database_url(const std::string& user, const std::string& host, int port, const std::string& database)
{
  return fmt::format("postgres://{}@{}:{}/{}", percent_encode(user), host, port, percent_encode(database));
}

} // namespace drydock::services
