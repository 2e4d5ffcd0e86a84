#include "docker/leftovers.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "docker/commands.hpp"
#include "exec/process.hpp"
#include "services/postgres_cluster.hpp"

namespace fs = std::filesystem;

namespace drydock::docker {

std::vector<Labelled> parse_labelled(const std::string& kind, const std::string& output)
{
  std::vector<Labelled> found;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Labelled item{kind, "", "", 0};
    std::string pid;
    words >> item.id >> item.run >> pid;
    if (item.id.empty()) {
      continue;
    }
    item.pid = std::atoi(pid.c_str());
    found.push_back(std::move(item));
  }
  return found;
}

bool owner_alive(int pid)
{
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) {
    return false;
  }
  // A killed drydock can linger as a zombie until its parent reaps it.
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  if (std::getline(stat, line)) {
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
      return false;
    }
  }
  std::ifstream comm(fmt::format("/proc/{}/comm", pid));
  std::string name;
  std::getline(comm, name);
  return !comm || name == "drydock"; // without /proc, trust the pid
}

tl::expected<std::vector<Labelled>, std::string> labelled_resources()
{
  std::vector<Labelled> all;
  const std::pair<const char*, Argv> queries[] = {
      {"container", labelled_containers()}, {"network", labelled_networks()}, {"volume", labelled_volumes()}};
  for (const auto& [kind, argv] : queries) {
    const auto result = exec::run_capture(argv, ".", exec::Stderr::merge);
    if (!result || result->exit_code != 0) {
      return tl::unexpected(fmt::format("cannot list drydock's {}s: {}", kind,
                                        result ? result->output.substr(0, result->output.find('\n')) : result.error()));
    }
    auto found = parse_labelled(kind, result->output);
    all.insert(all.end(), found.begin(), found.end());
  }
  return all;
}

std::vector<Labelled> owned_directories(const std::string& tmp_dir)
{
  const std::pair<std::string_view, const char*> kinds[] = {{"drydock-postgres-", "cluster"},
                                                             {"drydock-docker-config-", "credentials"}};
  std::vector<Labelled> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tmp_dir, ec)) {
    const std::string name = entry.path().filename().string();
    for (const auto& [prefix, kind] : kinds) {
      if (name.starts_with(prefix) && entry.is_directory(ec)) {
        int pid = 0;
        std::ifstream(entry.path() / "drydock.owner") >> pid;
        found.push_back({kind, entry.path().string(), "", pid});
      }
    }
  }
  return found;
}

int remove_resources(const std::vector<Labelled>& resources, const Log& log)
{
  int failed = 0;
  for (const char* kind : {"container", "network", "volume", "cluster", "credentials"}) {
    for (const auto& item : resources) {
      if (item.kind != kind) {
        continue;
      }
      bool removed = true;
      if (item.kind == "cluster") {
        services::remove_cluster(item.id, log);
        removed = !fs::exists(item.id);
      } else if (item.kind == "credentials") {
        std::error_code ec;
        fs::remove_all(item.id, ec);
        removed = !fs::exists(item.id, ec);
      } else {
        const Argv argv = item.kind == "container" ? remove_containers({item.id})
                          : item.kind == "network"  ? remove_networks({item.id})
                                                    : remove_volumes({item.id});
        const auto result = exec::run_capture(argv, ".", exec::Stderr::merge);
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
