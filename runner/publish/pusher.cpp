#include "publish/pusher.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "docker/commands.hpp"
#include "docker/leftovers.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::publish {
namespace {

std::string failure(const tl::expected<int, std::string>& result, const std::string& what)
{
  return result ? fmt::format("{} failed (exit {})", what, *result)
                : fmt::format("{} failed: {}", what, result.error());
}

// The credentials file of the DOCKER_CONFIG being used, for the signal
// handler below: fixed buffers, as a handler may not allocate.
char g_credentials_file[4096];
char g_owner_file[4096];
char g_credentials_dir[4096];

// SIGINT, SIGTERM or SIGHUP while logged in: no destructor will run, so the
// handler removes the credentials itself (unlink and rmdir are
// async-signal-safe), then dies of the signal as it would have.
extern "C" void remove_credentials_and_die(int sig)
{
  ::unlink(g_credentials_file);
  ::unlink(g_owner_file);
  ::rmdir(g_credentials_dir);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Credentials go to a DOCKER_CONFIG of this run's own, not ~/.docker, and
// are gone when the push is done, on every way out: return, error, signal
// (above), and kill -9, after which `drydock clean` finds the directory by
// its drydock.owner file.
class TemporaryDockerConfig {
public:
  TemporaryDockerConfig() = default;
  TemporaryDockerConfig(const TemporaryDockerConfig&) = delete;
  TemporaryDockerConfig& operator=(const TemporaryDockerConfig&) = delete;
  tl::expected<void, std::string> create()
  {
    std::string pattern = (fs::path(util::temp_dir()) / "drydock-docker-config-XXXXXX").string();
    const auto config_file = pattern + "/config.json";
    if (config_file.size() >= sizeof g_credentials_file || ::mkdtemp(pattern.data()) == nullptr) {
      return tl::unexpected(std::string("cannot create a temporary DOCKER_CONFIG"));
    }
    m_dir = pattern;
    std::ofstream(fs::path(m_dir) / "drydock.owner") << docker::owner_of(::getpid()) << "\n";
    std::snprintf(g_credentials_dir, sizeof g_credentials_dir, "%s", m_dir.c_str());
    std::snprintf(g_credentials_file, sizeof g_credentials_file, "%s/config.json", m_dir.c_str());
    std::snprintf(g_owner_file, sizeof g_owner_file, "%s/drydock.owner", m_dir.c_str());
    install_handlers();
    ::setenv("DOCKER_CONFIG", m_dir.c_str(), 1);
    return {};
  }
  ~TemporaryDockerConfig()
  {
    if (!m_dir.empty()) {
      std::error_code ec;
      fs::remove_all(m_dir, ec); // before the handlers go: a signal now still cleans up
      restore_handlers();
      ::unsetenv("DOCKER_CONFIG");
    }
  }

private:
  // A signal that was ignored (nohup) stays ignored; the others clean up.
  void install_handlers()
  {
    for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      struct sigaction action {};
      action.sa_handler = remove_credentials_and_die;
      sigemptyset(&action.sa_mask);
      ::sigaction(kCleanupSignals[i], nullptr, &m_previous[i]);
      if (m_previous[i].sa_handler != SIG_IGN) {
        ::sigaction(kCleanupSignals[i], &action, nullptr);
      }
    }
  }
  void restore_handlers()
  {
    for (std::size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      ::sigaction(kCleanupSignals[i], &m_previous[i], nullptr);
    }
  }

  std::string m_dir;
  struct sigaction m_previous[std::size(kCleanupSignals)]{};
};

tl::expected<void, std::string> log_in(const docker::Client& client, const Login& login, const std::string& executable,
                                       const Log& log)
{
  log(fmt::format("logging in to {} as {}", login.registry, login.username));
  bool sent = false;
  const auto result = client.stdin_from(docker::login(login.registry, login.username, executable), ".",
                                        [&](std::string& buffer) -> tl::expected<bool, std::string> {
                                          if (!sent) {
                                            buffer = login.password;
                                            sent = true;
                                          }
                                          return false;
                                        });
  if (!result || *result != 0) {
    return tl::unexpected(failure(result, fmt::format("docker login to {} as {}", login.registry, login.username)));
  }
  return {};
}

} // namespace

PushReport run_tag_plan(const docker::Client& client, const TagPlan& plan, const PushOptions& options, const Log& log)
{
  PushReport report{{}, plan.pushes, ""};
  TemporaryDockerConfig config;
  if (options.login) {
    if (auto created = config.create(); !created) {
      report.error = created.error();
      return report;
    }
    if (auto logged_in = log_in(client, *options.login, options.executable, log); !logged_in) {
      report.error = logged_in.error();
      return report;
    }
  }
  for (const auto& tag : plan.tags) {
    if (tag.self) {
      if (options.verbose) {
        log(fmt::format("Not tagging \"{}\" as itself", tag.source));
      }
      continue;
    }
    if (options.verbose) {
      log(fmt::format(R"(Tagging "{}" as "{}"...)", tag.source, tag.target));
    }
    const auto result = client.passthrough(docker::tag(tag.source, tag.target, options.executable), ".");
    if (!result || *result != 0) {
      report.error = failure(result, fmt::format("docker tag {} {}", tag.source, tag.target));
      return report;
    }
  }
  report.not_pushed.clear();
  for (std::size_t i = 0; i < plan.pushes.size(); ++i) {
    const auto& target = plan.pushes[i];
    if (options.verbose) {
      log(fmt::format("Pushing tag \"{}\"...", target));
    }
    const auto result = client.passthrough(docker::push(target, options.executable), ".");
    if (!result || *result != 0) {
      report.error = failure(result, fmt::format("docker push {}", target));
      report.not_pushed.assign(plan.pushes.begin() + static_cast<std::ptrdiff_t>(i), plan.pushes.end());
      return report;
    }
    report.pushed.push_back(target);
  }
  return report;
}

} // namespace drydock::publish
