#include "services/postgres_cluster.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "os/process.hpp"

namespace fs = std::filesystem;

namespace drydock::services {
namespace {

constexpr const char* kServerUser = "postgres";

bool has_tools(const fs::path& dir)
{
  for (const char* tool : {"initdb", "pg_ctl", "createuser", "createdb"}) {
    if (::access((dir / tool).c_str(), X_OK) != 0) {
      return false;
    }
  }
  return true;
}

// Where initdb, pg_ctl, createuser and createdb all are: Debian's newest
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

tl::expected<void, std::string> start_cluster(const ClusterSpec& spec, const Log& log)
{
  if (bin_dir().empty()) {
    return tl::unexpected(std::string("PostgreSQL's initdb is not installed (apt-get install postgresql-15)"));
  }
  const fs::path data = fs::path(spec.dir) / "data";
  const fs::path socket = fs::path(spec.dir) / "socket";
  if (auto done = run_tool(tool("initdb", {"--pgdata", data.string(), "--username", kServerUser, "--auth", "trust",
                                           "--encoding", "UTF8", "--no-sync", "--no-instructions"}),
                           "initdb");
      !done) {
    return done;
  }
  if (auto done = append(data / "postgresql.conf", settings_text(spec), false); !done) {
    return done;
  }
  if (auto done = append(data / "pg_hba.conf", hba_text(spec.trust_subnet), true); !done) {
    return done;
  }
  std::error_code ec;
  fs::create_directories(socket, ec);
  if (running_as_root()) {
    const passwd* user = ::getpwnam(kServerUser);
    if (user == nullptr || ::chown(socket.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return tl::unexpected(fmt::format("cannot hand {} to postgres", socket.string()));
    }
  }
  if (auto done = run_tool(tool("pg_ctl",
                                {"--pgdata", data.string(), "--log", (fs::path(spec.dir) / "server.log").string(),
                                 "--wait", "--timeout", "60", "start"}),
                           "pg_ctl start");
      !done) {
    return done;
  }
  std::string addresses;
  for (const auto& address : spec.listen) {
    addresses += fmt::format("{}{}:{}", addresses.empty() ? "" : ", ", address, spec.port);
  }
  log(fmt::format("postgresql: started in {}, listening on {}", spec.dir, addresses));
  const std::vector<std::string> connect{"--host",     socket.string(), "--port", std::to_string(spec.port),
                                         "--username", kServerUser};
  if (spec.user != kServerUser) {
    auto args = connect;
    args.insert(args.end(), {"--superuser", "--", spec.user}); // a user "-dpostgres" is a name, not options
    if (auto done = run_tool(tool("createuser", args), "createuser " + spec.user); !done) {
      return done;
    }
  }
  for (const auto& database : spec.databases) {
    auto args = connect;
    args.insert(args.end(), {"--owner=" + spec.user, "--", database});
    if (auto done = run_tool(tool("createdb", args), "createdb " + database); !done) {
      return done;
    }
  }
  log(fmt::format("postgresql: user {}, databases {}", spec.user, fmt::join(spec.databases, ", ")));
  return {};
}

void remove_cluster(const std::string& dir, const Log& log)
{
  const fs::path data = fs::path(dir) / "data";
  std::error_code ec;
  if (fs::exists(data / "postmaster.pid", ec)) {
    if (auto stopped = run_tool(tool("pg_ctl", {"--pgdata", data.string(), "--mode", "fast", "--wait", "stop"}),
                                "pg_ctl stop");
        !stopped) {
      log(stopped.error());
    }
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

std::string database_url(const std::string& user, const std::string& host, int port, const std::string& database)
{
  return fmt::format("postgres://{}@{}:{}/{}", percent_encode(user), host, port, percent_encode(database));
}

} // namespace drydock::services
