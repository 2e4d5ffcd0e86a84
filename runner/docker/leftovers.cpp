#include "docker/leftovers.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <csignal>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "docker/commands.hpp"
#include "services/postgres_cluster.hpp"
#include "util/lines.hpp"

namespace fs = std::filesystem;

namespace drydock::docker {

namespace {

// "PID:START" (or a bare pid, as runs before start times were recorded).
void read_owner(const std::string& owner, Labelled& item)
{
  item.pid = std::atoi(owner.c_str());
  const auto colon = owner.find(':');
  item.start = colon == std::string::npos ? 0 : std::strtoull(owner.c_str() + colon + 1, nullptr, 10);
}

// The fields of /proc/PID/stat after the command name (which may hold
// spaces and parentheses): state is the first, starttime the twentieth.
std::vector<std::string> stat_fields(int pid)
{
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  std::vector<std::string> fields;
  if (close != std::string::npos) {
    std::istringstream words(line.substr(close + 1));
    for (std::string word; words >> word;) {
      fields.push_back(word);
    }
  }
  return fields;
}

// starttime, the twentieth field after the command name, or 0.
std::uint64_t start_time_of(const std::vector<std::string>& fields)
{
  return fields.size() > 19 ? std::strtoull(fields[19].c_str(), nullptr, 10) : 0;
}

} // namespace

std::vector<Labelled> parse_labelled(const std::string& kind, const std::string& output)
{
  std::vector<Labelled> found;
  for (const auto line : util::lines(output)) {
    std::istringstream words{std::string(line)};
    Labelled item{kind, "", "", 0, 0};
    std::string owner;
    words >> item.id >> item.run >> owner;
    if (item.id.empty()) {
      continue;
    }
    read_owner(owner, item);
    found.push_back(std::move(item));
  }
  return found;
}

std::uint64_t process_start_time(int pid) { return start_time_of(stat_fields(pid)); }

std::string owner_of(int pid) { return fmt::format("{}:{}", pid, process_start_time(pid)); }

bool owner_alive(int pid, std::uint64_t start)
{
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) {
    return false;
  }
  const auto fields = stat_fields(pid);
  if (fields.empty()) {
    return true; // without /proc, trust the pid
  }
  // A killed drydock can linger as a zombie until its parent reaps it.
  if (fields[0] == "Z") {
    return false;
  }
  if (start != 0) {
    return start_time_of(fields) == start; // the stat already read, not a second read
  }
  // Recorded before start times were: the old rule, a live process named drydock.
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(comm, name);
  return !comm || name == "drydock";
}

tl::expected<std::vector<Labelled>, std::string> labelled_resources(const Client& client)
{
  std::vector<Labelled> all;
  const std::pair<const char*, Argv> queries[] = {{"container", labelled_containers()},
                                                  {"network", labelled_networks()},
                                                  {"volume", labelled_volumes()}};
  for (const auto& [kind, argv] : queries) {
    const auto result = client.capture(argv, ".", os::Stderr::merge);
    if (!result || result->exit_code != 0) {
      return tl::unexpected(fmt::format("cannot list drydock's {}s: {}", kind,
                                        result ? result->output.substr(0, result->output.find('\n')) : result.error()));
    }
    auto found = parse_labelled(kind, result->output);
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

namespace {

// A directory, not a link, made by this user (as root: or handed to
// `postgres`, as a cluster is): TMPDIR and /dev/shm are open to every user,
// and `clean` stops the server a cluster directory names.
bool ours(const fs::path& dir)
{
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return false;
  }
  return info.st_uid == ::geteuid() || info.st_uid == services::server_uid();
}

} // namespace

std::vector<Labelled> owned_directories(const std::string& tmp_dir)
{
  const std::pair<std::string_view, const char*> kinds[] = {{"drydock-postgres-", "cluster"},
                                                            {"drydock-docker-config-", "credentials"},
                                                            {"drydock-checkout-", "checkout"}};
  std::vector<Labelled> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tmp_dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const auto& [prefix, kind] : kinds) {
      if (name.starts_with(prefix) && ours(entry.path())) {
        std::string owner;
        std::ifstream(entry.path() / "drydock.owner") >> owner;
        Labelled item{kind, entry.path().string(), "", 0, 0};
        read_owner(owner, item);
        found.push_back(std::move(item));
      }
    }
  }
  return found;
}

LeftoverSelection select_leftovers(const std::vector<Labelled>& candidates, bool all)
{
  LeftoverSelection selection;
  for (const auto& item : candidates) {
    if (all || !owner_alive(item.pid, item.start)) {
      selection.leftovers.push_back(item);
    } else {
      ++selection.kept;
    }
  }
  return selection;
}

int remove_resources(const Client& client, const std::vector<Labelled>& resources, const Log& log)
{
  int failed = 0;
  for (const char* kind : {"container", "network", "volume", "cluster", "credentials", "checkout"}) {
    for (const auto& item : resources) {
      if (item.kind != kind) {
        continue;
      }
      bool removed = true;
      if (item.kind == "cluster") {
        services::remove_cluster(item.id, log);
        removed = !fs::exists(item.id);
      } else if (item.kind == "credentials" || item.kind == "checkout") {
        std::error_code ec;
        fs::remove_all(item.id, ec);
        removed = !fs::exists(item.id, ec);
      } else {
        const Argv argv = item.kind == "container" ? remove_containers({item.id})
                          : item.kind == "network" ? remove_networks({item.id})
                                                   : remove_volumes({item.id});
        const auto result = client.capture(argv, ".", os::Stderr::merge);
        removed = result && result->exit_code == 0;
      }
      log(fmt::format("{} {} {}{}", removed ? "removed" : "could not remove", item.kind, item.id.substr(0, 64),
                      item.run.empty() ? std::string() : fmt::format(" (run {})", item.run)));
      failed += removed ? 0 : 1;
    }
  }
  return failed;
}

} // namespace drydock::docker
