// The tag-and-push runner against a stand-in docker (a script behind the
// `executable` seam): the credentials it logs in with never outlive it.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "exec/run_fixture.hpp"
#include "publish/pusher.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {

// `login` writes a config.json as docker does; `push` hangs, so a signal
// can arrive while the credentials are on disk.
fs::path write_fake_docker(const test::ScratchDir& dir)
{
  const auto path = dir.path() / "fake-docker";
  std::ofstream(path) << "#!/bin/sh\n"
                         "case \"$1\" in\n"
                         "  login) cat >/dev/null; echo '{\"auths\":{\"r\":{\"auth\":\"dXNlcjpwYXNz\"}}}' > \"$DOCKER_CONFIG/config.json\";;\n"
                         "  push) exec sleep 30;;\n"
                         "esac\n";
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

std::vector<fs::path> credential_dirs(const fs::path& tmp)
{
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(tmp)) {
    if (entry.path().filename().string().starts_with("drydock-docker-config-")) {
      found.push_back(entry.path());
    }
  }
  return found;
}

bool wait_for_credentials(const fs::path& tmp)
{
  for (int i = 0; i < 200; ++i) {
    const auto dirs = credential_dirs(tmp);
    if (!dirs.empty() && fs::exists(dirs.front() / "config.json")) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

} // namespace

TEST_CASE("a signal while logged in leaves no credentials behind", "[publish]")
{
  const int sig = GENERATE(SIGTERM, SIGINT, SIGHUP);
  test::ScratchDir dir;
  const auto docker = write_fake_docker(dir);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setpgid(0, 0); // signalled as a group, as drydock signals its steps
    ::setenv("TMPDIR", dir.path().c_str(), 1);
    publish::TagPlan plan;
    plan.pushes = {"r/app:1"};
    publish::run_tag_plan(docker::EngineClient{}, plan, {docker.string(), false, publish::Login{"r", "user", "pass"}},
                          [](const std::string&) {});
    std::_Exit(0);
  }
  REQUIRE(wait_for_credentials(dir.path()));
  ::kill(-child, sig);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(credential_dirs(dir.path()).empty());
}

TEST_CASE("the credentials are gone when the push is done", "[publish]")
{
  test::ScratchDir dir;
  const auto path = dir.path() / "fake-docker";
  std::ofstream(path) << "#!/bin/sh\n[ \"$1\" = login ] && cat > \"$DOCKER_CONFIG/config.json\"\nexit 0\n";
  fs::permissions(path, fs::perms::owner_all);
  const char* old_tmp = std::getenv("TMPDIR");
  const std::string saved = old_tmp != nullptr ? old_tmp : "";
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  publish::TagPlan plan;
  plan.pushes = {"r/app:1"};
  const auto report = publish::run_tag_plan(docker::EngineClient{}, plan, {path.string(), false, publish::Login{"r", "u", "p"}},
                                            [](const std::string&) {});
  old_tmp != nullptr ? ::setenv("TMPDIR", saved.c_str(), 1) : ::unsetenv("TMPDIR");
  CHECK(report.error.empty());
  CHECK(report.pushed == std::vector<std::string>{"r/app:1"});
  CHECK(credential_dirs(dir.path()).empty());
}
