// The tag-and-push runner: against a stand-in docker (a script behind the
// `executable` seam), the credentials it logs in with never outlive it,
// even on a signal; against the fake client, the order of the tags and
// pushes, what a failure reports, and the login's DOCKER_CONFIG.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "docker/commands.hpp"
#include "docker/fake_client.hpp"
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
                         "  login) cat >/dev/null; echo '{\"auths\":{\"r\":{\"auth\":\"dXNlcjpwYXNz\"}}}' > "
                         "\"$DOCKER_CONFIG/config.json\";;\n"
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
  const auto report = publish::run_tag_plan(docker::EngineClient{}, plan,
                                            {path.string(), false, publish::Login{"r", "u", "p"}},
                                            [](const std::string&) {});
  old_tmp != nullptr ? ::setenv("TMPDIR", saved.c_str(), 1) : ::unsetenv("TMPDIR");
  CHECK(report.error.empty());
  CHECK(report.pushed == std::vector<std::string>{"r/app:1"});
  CHECK(credential_dirs(dir.path()).empty());
}

namespace {

using test::exits;
using test::ok;
using Argv = std::vector<std::string>;

// TMPDIR pointed at a scratch directory for the test's length.
class ScratchTmpdir {
public:
  explicit ScratchTmpdir(const fs::path& dir)
  {
    const char* old = std::getenv("TMPDIR");
    m_old = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScratchTmpdir() { m_old ? ::setenv("TMPDIR", m_old->c_str(), 1) : ::unsetenv("TMPDIR"); }
  ScratchTmpdir(const ScratchTmpdir&) = delete;
  ScratchTmpdir& operator=(const ScratchTmpdir&) = delete;

private:
  std::optional<std::string> m_old;
};

publish::TagPlan plan_of(std::vector<publish::TagCommand> tags, std::vector<std::string> pushes)
{
  publish::TagPlan plan;
  plan.tags = std::move(tags);
  plan.pushes = std::move(pushes);
  return plan;
}

struct Pushed {
  publish::PushReport report;
  std::vector<std::string> lines;
};

Pushed push(const test::FakeClient& client, const publish::TagPlan& plan, const publish::PushOptions& options)
{
  Pushed out;
  out.report = publish::run_tag_plan(client, plan, options,
                                     [&out](const std::string& line) { out.lines.push_back(line); });
  return out;
}

} // namespace

TEST_CASE("publish: every tag, then every push, in the plan's order, with DCD's verbose lines", "[publish]")
{
  const auto plan = plan_of({{"app:1", "r/app:1", false}, {"app:1", "app:1", true}, {"app:1", "r/app:latest", false}},
                            {"r/app:1", "app:1", "r/app:latest"});
  test::FakeClient client;
  client.on({"dcd-docker", "tag"}, ok());
  client.on({"dcd-docker", "push"}, ok());
  const auto pushed = push(client, plan, {"dcd-docker", true, std::nullopt});
  CHECK(pushed.report.error.empty());
  CHECK(pushed.report.pushed == std::vector<std::string>{"r/app:1", "app:1", "r/app:latest"});
  CHECK(pushed.report.not_pushed.empty());
  CHECK(client.argvs()
        == std::vector<Argv>{docker::tag("app:1", "r/app:1", "dcd-docker"),
                             docker::tag("app:1", "r/app:latest", "dcd-docker"), docker::push("r/app:1", "dcd-docker"),
                             docker::push("app:1", "dcd-docker"), docker::push("r/app:latest", "dcd-docker")});
  CHECK(pushed.lines
        == std::vector<std::string>{"Tagging \"app:1\" as \"r/app:1\"...", "Not tagging \"app:1\" as itself",
                                    "Tagging \"app:1\" as \"r/app:latest\"...", "Pushing tag \"r/app:1\"...",
                                    "Pushing tag \"app:1\"...", "Pushing tag \"r/app:latest\"..."});
  for (const auto& call : client.calls()) {
    CHECK(call.kind == test::Call::Kind::passthrough); // docker's progress goes to the user
  }
}

TEST_CASE("publish: a failed push stops there; what was and was not pushed is exact", "[publish]")
{
  const auto plan = plan_of({}, {"r/app:1", "r/app:2", "r/app:3"});
  test::FakeClient client;
  client.on(docker::push("r/app:1"), ok());
  SECTION("it exits non-zero")
  {
    client.on(docker::push("r/app:2"), exits(1));
    const auto pushed = push(client, plan, {});
    CHECK(pushed.report.error == "docker push r/app:2 failed (exit 1)");
    CHECK(pushed.report.pushed == std::vector<std::string>{"r/app:1"});
    CHECK(pushed.report.not_pushed == std::vector<std::string>{"r/app:2", "r/app:3"});
    CHECK(pushed.lines.empty()); // not verbose
  }
  SECTION("it cannot run")
  {
    client.on(docker::push("r/app:2"), test::cannot_run("'docker' is not on PATH"));
    const auto pushed = push(client, plan, {});
    CHECK(pushed.report.error == "docker push r/app:2 failed: 'docker' is not on PATH");
    CHECK(pushed.report.not_pushed == std::vector<std::string>{"r/app:2", "r/app:3"});
  }
  CHECK(client.call_count() == 2); // r/app:3 was never tried
}

TEST_CASE("publish: a failed tag pushes nothing", "[publish]")
{
  const auto plan = plan_of({{"app:1", "r/app:1", false}, {"app:1", "r/app:2", false}}, {"r/app:1", "r/app:2"});
  test::FakeClient client;
  client.on(docker::tag("app:1", "r/app:1"), exits(1));
  const auto pushed = push(client, plan, {});
  CHECK(pushed.report.error == "docker tag app:1 r/app:1 failed (exit 1)");
  CHECK(pushed.report.pushed.empty());
  CHECK(pushed.report.not_pushed == std::vector<std::string>{"r/app:1", "r/app:2"});
  CHECK(client.call_count() == 1);
}

TEST_CASE("publish: the login's DOCKER_CONFIG exists for the pushes only, then is removed", "[publish]")
{
  test::ScratchDir dir;
  const ScratchTmpdir tmpdir(dir.path());
  ::unsetenv("DOCKER_CONFIG");
  const auto plan = plan_of({}, {"registry.example/app:1"});
  std::vector<std::string> configs_seen; // DOCKER_CONFIG at each call, and whether it held the owner file
  const auto look = [&configs_seen](const test::Call&) {
    const char* config = std::getenv("DOCKER_CONFIG");
    const bool owned = config != nullptr && fs::exists(fs::path(config) / "drydock.owner");
    configs_seen.push_back(config == nullptr ? "(unset)" : owned ? config : "(no owner file)");
  };
  test::FakeClient client;
  client.on(docker::login("registry.example", "ci"), ok(), look);
  client.on(docker::push("registry.example/app:1"), ok(), look);
  const auto pushed = push(client, plan, {"docker", false, publish::Login{"registry.example", "ci", "p4ss"}});
  CHECK(pushed.report.error.empty());
  CHECK(pushed.lines == std::vector<std::string>{"logging in to registry.example as ci"});
  const auto calls = client.calls();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].argv == docker::login("registry.example", "ci"));
  CHECK(calls[0].input == "p4ss"); // on stdin, never in the argv
  REQUIRE(configs_seen.size() == 2);
  CHECK(fs::path(configs_seen[0]).parent_path() == dir.path());
  CHECK(fs::path(configs_seen[0]).filename().string().starts_with("drydock-docker-config-"));
  CHECK(configs_seen[1] == configs_seen[0]);
  CHECK_FALSE(fs::exists(configs_seen[0]));
  CHECK(std::getenv("DOCKER_CONFIG") == nullptr);
  CHECK(credential_dirs(dir.path()).empty());
}

TEST_CASE("publish: a failed login pushes nothing and leaves no credentials", "[publish]")
{
  test::ScratchDir dir;
  const ScratchTmpdir tmpdir(dir.path());
  const auto plan = plan_of({{"app:1", "r/app:1", false}}, {"r/app:1"});
  test::FakeClient client;
  client.on(docker::login("r", "ci"), exits(1));
  const auto pushed = push(client, plan, {"docker", false, publish::Login{"r", "ci", "wrong"}});
  CHECK(pushed.report.error == "docker login to r as ci failed (exit 1)");
  CHECK(pushed.report.not_pushed == std::vector<std::string>{"r/app:1"});
  CHECK(client.call_count() == 1);
  CHECK(credential_dirs(dir.path()).empty());
  CHECK(std::getenv("DOCKER_CONFIG") == nullptr);
}
