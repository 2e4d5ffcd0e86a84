#pragma once
// The throwaway PostgreSQL cluster behind `machine.services: [postgresql]`:
// a copy of a template made once by initdb (services/postgres_template.hpp)
// in a temporary directory, listening on loopback and on the Docker
// bridge gateway (trust for loopback and the bridge subnet only), the
// declared user and databases created, and all of it removed at the end.
// As root, the server runs as the `postgres` user (initdb refuses root).
#include <tl/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace drydock::services {

struct ClusterSpec {
  std::string dir; // owned by the run; removed at the end
  int port = 0;
  std::vector<std::string> listen; // addresses: 127.0.0.1 and the bridge gateway
  std::string trust_subnet;        // the bridge subnet, or empty
  std::string user;
  std::vector<std::string> databases;
  std::string template_root; // where templates are kept; empty: initdb every time
};

using Log = std::function<void(const std::string& line)>;

// pg_hba.conf: trust on the socket, loopback and the subnet; nothing else.
std::string hba_text(const std::string& trust_subnet);
// Lines appended to postgresql.conf: addresses, port, socket, and no fsync
// (the data is thrown away).
std::string settings_text(const ClusterSpec& spec);

// Creates the directory for the cluster (owned by `postgres` as root).
tl::expected<std::string, std::string> make_cluster_dir(const std::string& tmp_dir);

// What a folder's file system is: memory (tmpfs) or not, and its room.
struct FolderSpace {
  bool memory = false;
  std::uintmax_t free_bytes = 0;
};
std::optional<FolderSpace> folder_space(const std::string& dir);

inline constexpr const char* kMemoryFolder = "/dev/shm";
// The room /dev/shm needs to hold a cluster (about 30 MB, and its test data).
inline constexpr std::uintmax_t kMemoryClusterRoom = std::uintmax_t{512} << 20;

// Where a run's cluster goes: the run's TMPDIR when set; else /dev/shm
// when it is a tmpfs with room, as the data is thrown away and creating a
// copy's thousand files on disk is most of a warm start; else /tmp.
std::string cluster_parent_dir(const std::optional<std::string>& tmpdir, const std::optional<FolderSpace>& memory);

// The uid the cluster's server runs as: `postgres` as root, else this user.
unsigned server_uid();

// Every folder a cluster of this user's runs may be in, for `drydock clean`.
std::vector<std::string> cluster_parent_dirs(const std::optional<std::string>& tmpdir);

// The SQL creating the user (when asked) and databases db0..dbN-1, all
// named by psql variables (:"user", :"db0"), so no name is spliced in.
std::string roles_script(bool create_user, std::size_t databases);

// The template a cluster of `spec` would be copied from, when it is
// there and passes its check (services/postgres_template.hpp).
struct UsableTemplate {
  std::string dir;
  std::string key;
};
// `step_env`: the environment the cluster's step will have (the locale
// and time zone initdb bakes in are part of the key).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
tl::expected<UsableTemplate, std::string> usable_template(const ClusterSpec& spec, const EnvLookup& step_env);

// In a run's cluster dir: the key of the template whose spare setup took.
inline constexpr const char* kSpareKeyFile = "drydock.spare";

// The template copied (initdb and saving the template when there is no
// good one; nothing when spec.dir/data is already there, a spare taken:
// services/postgres_spare.hpp), start (waiting until it accepts connections).
tl::expected<void, std::string> start_cluster(const ClusterSpec& spec, const Log& log);

// Stops the server if it runs and removes the directory; safe to call on
// a cluster that never started.
void remove_cluster(const std::string& dir, const Log& log);

// A free TCP port on loopback (bind to port 0, ask, close).
int free_port();

// A free TCP port kept from other programs until `fd` is closed: a socket
// bound to it on every address with SO_REUSEADDR and never listening, so
// the kernel gives the port to no one else, while the server (which also
// sets SO_REUSEADDR) can still bind and listen on it.
struct ReservedPort {
  int port = 0;
  int fd = -1;
};
tl::expected<ReservedPort, std::string> reserve_port();

// postgres://USER@HOST:PORT/DATABASE, with user and database percent-encoded.
std::string database_url(const std::string& user, const std::string& host, int port, const std::string& database);

} // namespace drydock::services
