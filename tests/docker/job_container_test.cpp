// A CircleCI 2.x job's containers: the docker calls that start the job
// container and its sidecars, run a step in it, copy a checkout into it,
// and remove them; with the engine's answers from the fake client.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "docker/fake_client.hpp"
#include "docker/job_container.hpp"
#include "os/process.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

namespace {

docker::JobContainerSpec job_spec()
{
  docker::JobContainerSpec spec;
  spec.image = "cimg/base:2024.01";
  spec.name = "drydock-r1-job-j0";
  spec.run_id = "r1";
  spec.owner = "42:7";
  return spec;
}

docker::SidecarSpec sidecar_spec()
{
  docker::SidecarSpec spec;
  spec.image = "postgres:16";
  spec.name = "drydock-r1-job-j0-s1";
  spec.run_id = "r1";
  spec.owner = "42:7";
  spec.beside = "drydock-r1-job-j0";
  return spec;
}

docker::JobContainerStart start_with_two_sidecars()
{
  docker::JobContainerStart start{job_spec(), {sidecar_spec(), sidecar_spec()}};
  start.sidecars[1].image = "redis:7";
  start.sidecars[1].name = "drydock-r1-job-j0-s2";
  return start;
}

// The argv from `sh` on: what `docker exec ... -- CONTAINER` runs in the container.
Strings in_container(const Strings& argv, const std::string& container)
{
  const auto at = std::find(argv.begin(), argv.end(), "--");
  REQUIRE(at != argv.end());
  REQUIRE(at + 1 != argv.end());
  CHECK(*(at + 1) == container);
  return {at + 2, argv.end()};
}

struct TempDir {
  TempDir()
  {
    path = std::filesystem::temp_directory_path() / fmt::format("drydock-jc-{}-{}", ::getpid(), counter++);
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
  static inline int counter = 0;
};

} // namespace

// ---- argv ----

TEST_CASE("the job container runs detached, kept alive by a shell loop, never pulled, values after --", "[docker]")
{
  CHECK(docker::run_job_container(job_spec()) == Strings{"docker",       "run",
                                                         "--detach",     "--init",
                                                         "--name",       "drydock-r1-job-j0",
                                                         "--label",      "io.drydock.run=r1",
                                                         "--label",      "io.drydock.pid=42:7",
                                                         "--label",      "io.drydock.job-container=true",
                                                         "--entrypoint", "sh",
                                                         "--pull",       "never",
                                                         "--",           "cimg/base:2024.01",
                                                         "-c",           "while sleep 3600; do :; done"});

  auto spec = job_spec();
  spec.user = "circleci";
  spec.env_names = {"TZ", "LANG"};
  spec.hosts = {{"db", "127.0.0.1"}};
  CHECK(docker::run_job_container(spec) == Strings{"docker",       "run",
                                                   "--detach",     "--init",
                                                   "--name",       "drydock-r1-job-j0",
                                                   "--label",      "io.drydock.run=r1",
                                                   "--label",      "io.drydock.pid=42:7",
                                                   "--label",      "io.drydock.job-container=true",
                                                   "--entrypoint", "sh",
                                                   "--pull",       "never",
                                                   "--user",       "circleci",
                                                   "--env",        "TZ",
                                                   "--env",        "LANG",
                                                   "--add-host",   "db:127.0.0.1",
                                                   "--",           "cimg/base:2024.01",
                                                   "-c",           "while sleep 3600; do :; done"});
}

TEST_CASE("setup_remote_docker: the engine's socket mounted where a docker CLI looks", "[docker]")
{
  auto spec = job_spec();
  spec.engine_socket = "/run/user/1000/docker.sock";
  const auto argv = docker::run_job_container(spec);
  const auto volume = std::find(argv.begin(), argv.end(), "--volume");
  REQUIRE(volume != argv.end());
  CHECK(*(volume + 1) == "/run/user/1000/docker.sock:/var/run/docker.sock");
  CHECK(volume < std::find(argv.begin(), argv.end(), "--")); // an option, not a value after the image
  CHECK(docker::engine_socket_of("") == "/var/run/docker.sock");
  CHECK(docker::engine_socket_of("unix:///run/docker.sock") == "/run/docker.sock");
  CHECK(docker::engine_socket_of("tcp://10.0.0.1:2375").empty());
}

TEST_CASE("a sidecar shares the job container's network; its entrypoint's first word is --entrypoint", "[docker]")
{
  CHECK(docker::run_sidecar(sidecar_spec())
        == Strings{"docker", "run", "--detach", "--pull", "never", "--name", "drydock-r1-job-j0-s1", "--label",
                   "io.drydock.run=r1", "--label", "io.drydock.pid=42:7", "--network", "container:drydock-r1-job-j0",
                   "--", "postgres:16"});

  auto spec = sidecar_spec();
  spec.user = "999";
  spec.env_names = {"POSTGRES_PASSWORD"};
  spec.entrypoint = {"docker-entrypoint.sh", "postgres"};
  spec.command = {"-c", "fsync=off"};
  CHECK(docker::run_sidecar(spec)
        == Strings{"docker",
                   "run",
                   "--detach",
                   "--pull",
                   "never",
                   "--name",
                   "drydock-r1-job-j0-s1",
                   "--label",
                   "io.drydock.run=r1",
                   "--label",
                   "io.drydock.pid=42:7",
                   "--network",
                   "container:drydock-r1-job-j0",
                   "--user",
                   "999",
                   "--env",
                   "POSTGRES_PASSWORD",
                   "--entrypoint",
                   "docker-entrypoint.sh",
                   "--",
                   "postgres:16",
                   "postgres",
                   "-c",
                   "fsync=off"});

  spec = sidecar_spec();
  spec.command = {"redis-server", "--appendonly", "yes"}; // no entrypoint: the image's
  const auto argv = docker::run_sidecar(spec);
  CHECK(std::find(argv.begin(), argv.end(), "--entrypoint") == argv.end());
  CHECK(Strings(argv.end() - 4, argv.end()) == Strings{"postgres:16", "redis-server", "--appendonly", "yes"});
}

TEST_CASE("a job step writes its group id, makes and enters its directory, then runs its command", "[docker]")
{
  const auto argv = docker::exec_job_step({"drydock-r1-job-j0",
                                           "~/project",
                                           {"CIRCLE_JOB", "A"},
                                           "/tmp/drydock-1.pid",
                                           {"bash", "-eo", "pipefail", "-c", "make"}});
  const std::string inner =
      R"sh(exec 2>&3 3>&-; echo $$ >"$0" || exit 126; case $1 in "~" | "~/"*) set -- "$HOME${1#"~"}" "$@" ;; )sh"
      R"sh(*) set -- "$1" "$@" ;; esac; mkdir -p -- "$1" && cd -- "$1" || exit 126; shift 2; exec "$@")sh";
  CHECK(argv
        == Strings{"docker", "exec", "--env", "CIRCLE_JOB", "--env", "A", "--", "drydock-r1-job-j0", "sh", "-c",
                   "exec 3>&2 2>/dev/null; exec setsid -w sh -c '" + inner + "' \"$0\" \"$@\"", "/tmp/drydock-1.pid",
                   "~/project", "bash", "-eo", "pipefail", "-c", "make"});
  // No --workdir: the directory is the script's to resolve (~ is the container's home).
  CHECK(std::find(argv.begin(), argv.end(), "--workdir") == argv.end());
}

TEST_CASE("the job step's script, run by sh here: ~ from HOME, the directory made, the pid written", "[docker]")
{
  TempDir home;
  const auto pid_file = (home.path / "pid").string();
  const auto run = [&](const std::string& dir, const Strings& command) {
    Strings argv{"env", "HOME=" + home.path.string(), "ENV_OF_STEP=kept"};
    const auto script = in_container(docker::exec_job_step({"c1", dir, {}, pid_file, command}), "c1");
    argv.insert(argv.end(), script.begin(), script.end());
    return os::run_capture(argv, home.path.string(), os::Stderr::merge);
  };

  SECTION("~/sub/dir is made under HOME and is where the command starts")
  {
    const auto result = run("~/sub/dir", {"sh", "-c", "pwd; echo \"$ENV_OF_STEP\"; echo \"$#:$1\"", "sh", "arg one"});
    REQUIRE(result);
    CHECK(result->exit_code == 0);
    CHECK(result->output == (home.path / "sub/dir").string() + "\nkept\n1:arg one\n");
    CHECK(std::filesystem::is_directory(home.path / "sub/dir"));
    const auto pid = os::run_capture({"cat", pid_file}, ".");
    REQUIRE(pid);
    CHECK_FALSE(pid->output.empty());
  }
  SECTION("~ alone is HOME; an absolute directory is itself")
  {
    auto result = run("~", {"pwd"});
    REQUIRE(result);
    CHECK(result->output == home.path.string() + "\n");
    result = run((home.path / "abs").string(), {"pwd"});
    REQUIRE(result);
    CHECK(result->output == (home.path / "abs").string() + "\n");
  }
  SECTION("the command's exit status is the step's; a directory that cannot be made is 126")
  {
    auto result = run("~", {"sh", "-c", "exit 7"});
    REQUIRE(result);
    CHECK(result->exit_code == 7);
    std::filesystem::create_directories(home.path / "file-parent");
    {
      std::ofstream(home.path / "file-parent" / "f") << "x";
    }
    result = run("~/file-parent/f/below", {"echo", "never"});
    REQUIRE(result);
    CHECK(result->exit_code == 126);
    CHECK(result->output.find("never") == std::string::npos);
  }
}

TEST_CASE("make_dir_in prints the directory's absolute path and the user's UID:GID; copy and chown argv", "[docker]")
{
  const auto argv = docker::make_dir_in("drydock-r1-job-j0", "~/project");
  CHECK(argv
        == Strings{"docker", "exec", "--", "drydock-r1-job-j0", "sh", "-c",
                   R"sh(d=$1; case $d in "~") d=$HOME ;; "~/"*) d=$HOME/${d#"~/"} ;; esac; )sh"
                   R"sh(mkdir -p -- "$d" && cd -- "$d" && pwd && echo "$(id -u):$(id -g)")sh",
                   "drydock", "~/project"});
  CHECK(docker::copy_into("/src/app", "drydock-r1-job-j0", "/root/project")
        == Strings{"docker", "cp", "--", "/src/app/.", "drydock-r1-job-j0:/root/project"});
  CHECK(docker::copy_file_into("/record/tools/circleci", "drydock-r1-job-j0", "/usr/local/bin/circleci")
        == Strings{"docker", "cp", "--", "/record/tools/circleci", "drydock-r1-job-j0:/usr/local/bin/circleci"});
  CHECK(docker::give_to("drydock-r1-job-j0", "1000:1000", "/home/circleci/project")
        == Strings{"docker", "exec", "--user", "0", "--", "drydock-r1-job-j0", "chown", "-R", "1000:1000", "--",
                   "/home/circleci/project"});

  // The script itself, run by sh here.
  TempDir home;
  Strings local{"env", "HOME=" + home.path.string()};
  const auto script = in_container(argv, "drydock-r1-job-j0");
  local.insert(local.end(), script.begin(), script.end());
  const auto result = os::run_capture(local, "/", os::Stderr::merge);
  REQUIRE(result);
  CHECK(result->exit_code == 0);
  CHECK(result->output == fmt::format("{}\n{}:{}\n", (home.path / "project").string(), ::getuid(), ::getgid()));
}

TEST_CASE("job and sidecar containers are named for the run", "[docker]")
{
  CHECK(docker::job_container_name("r1", "j0") == "drydock-r1-job-j0");
  CHECK(docker::sidecar_name("r1", "j0", "s1") == "drydock-r1-job-j0-s1");
}

// ---- with the engine ----

TEST_CASE("start_job_containers starts the job container, then each sidecar, saying so", "[docker]")
{
  test::FakeClient client;
  client.on({"docker", "run"}, test::ok("abc\n"));
  Strings said;
  const auto started = docker::start_job_containers(client, start_with_two_sidecars(),
                                                    [&](const std::string& line) { said.push_back(line); });
  REQUIRE(started);
  const auto argvs = client.argvs();
  REQUIRE(argvs.size() == 3);
  CHECK(argvs[0] == docker::run_job_container(job_spec()));
  CHECK(argvs[1] == docker::run_sidecar(sidecar_spec()));
  CHECK(argvs[2].at(6) == "drydock-r1-job-j0-s2");
  CHECK(said
        == Strings{"started drydock-r1-job-j0 (cimg/base:2024.01)",
                   "started drydock-r1-job-j0-s1 (postgres:16), on the job container's localhost",
                   "started drydock-r1-job-j0-s2 (redis:7), on the job container's localhost"});
  for (const auto& call : client.calls()) {
    CHECK(call.stderr_mode == os::Stderr::merge); // the engine's complaint is the error's text
  }
}

TEST_CASE("an image the engine lacks is an error naming it and what to do", "[docker]")
{
  test::FakeClient client;
  client.on({"docker", "run"}, test::exits(125, "Unable to find image 'cimg/base:2024.01' locally\ndocker: Error "
                                                "response from daemon: "
                                                "No such image: cimg/base:2024.01.\n"));
  Strings said;
  const auto started = docker::start_job_containers(client, start_with_two_sidecars(),
                                                    [&](const std::string& line) { said.push_back(line); });
  REQUIRE_FALSE(started);
  CHECK(started.error()
        == "the job container: the engine has no image cimg/base:2024.01 (drydock never pulls: `docker pull "
           "cimg/base:2024.01` or `docker load` it first)");
  CHECK(client.call_count() == 1); // no sidecar without its job container
  CHECK(said.empty());
}

TEST_CASE("a sidecar that cannot start is an error naming the sidecar", "[docker]")
{
  SECTION("another failure: the engine's words")
  {
    test::FakeClient client;
    client.on({"docker", "run", "--detach", "--init"}, test::ok("abc\n"))
        .on({"docker", "run", "--detach", "--pull"}, {test::ok("def\n"), test::exits(125, "docker: Error response from "
                                                                                          "daemon: Conflict.\n")});
    Strings said;
    const auto started = docker::start_job_containers(client, start_with_two_sidecars(),
                                                      [&](const std::string& line) { said.push_back(line); });
    REQUIRE_FALSE(started);
    CHECK(started.error()
          == "the sidecar drydock-r1-job-j0-s2: cannot start redis:7: docker: Error response from daemon: Conflict.");
    CHECK(client.call_count() == 3);
    CHECK(said.size() == 2); // the two that started
  }
  SECTION("its image missing")
  {
    test::FakeClient client;
    client.on({"docker", "run", "--detach", "--init"}, test::ok())
        .on({"docker", "run", "--detach", "--pull"}, test::exits(125, "No such image: postgres:16\n"));
    const auto started = docker::start_job_containers(client, start_with_two_sidecars(), [](const std::string&) {});
    REQUIRE_FALSE(started);
    CHECK(started.error()
          == "the sidecar drydock-r1-job-j0-s1: the engine has no image postgres:16 (drydock never pulls: `docker "
             "pull postgres:16` or `docker load` it first)");
  }
  SECTION("the client cannot run: its reason")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::cannot_run("docker: not found"));
    const auto started = docker::start_job_containers(client, start_with_two_sidecars(), [](const std::string&) {});
    REQUIRE_FALSE(started);
    CHECK(started.error() == "the job container: cannot start cimg/base:2024.01: docker: not found");
  }
  SECTION("a failure without a word: its exit status")
  {
    test::FakeClient client;
    client.on({"docker", "run"}, test::exits(1, "\n"));
    const auto started = docker::start_job_containers(client, start_with_two_sidecars(), [](const std::string&) {});
    REQUIRE_FALSE(started);
    CHECK(started.error() == "the job container: cannot start cimg/base:2024.01: exit 1");
  }
}

TEST_CASE("remove_job_containers: one already gone is not an error, another failure is", "[docker]")
{
  const Strings names{"drydock-r1-job-j0", "drydock-r1-job-j0-s1"};
  SECTION("removed")
  {
    test::FakeClient client;
    client.on({"docker", "rm"}, test::ok("drydock-r1-job-j0\ndrydock-r1-job-j0-s1\n"));
    const auto removed = docker::remove_job_containers(client, names);
    REQUIRE(removed);
    CHECK(*removed == 2);
    CHECK(client.argvs()
          == std::vector<Strings>{
              {"docker", "rm", "--force", "--volumes", "--", "drydock-r1-job-j0", "drydock-r1-job-j0-s1"}});
  }
  SECTION("another failure, even beside a gone one")
  {
    test::FakeClient client;
    client.on({"docker", "rm"}, test::exits(1, "Error response from daemon: No such container: drydock-r1-job-j0-s1\n"
                                               "Error response from daemon: removal of container drydock-r1-job-j0 is "
                                               "already in "
                                               "progress\n"));
    const auto removed = docker::remove_job_containers(client, names);
    REQUIRE_FALSE(removed);
    CHECK(removed.error()
          == "cannot remove drydock-r1-job-j0, drydock-r1-job-j0-s1: Error response from daemon: No such container: "
             "drydock-r1-job-j0-s1\nError response from daemon: removal of container drydock-r1-job-j0 is already "
             "in progress");
  }
  SECTION("the client cannot run")
  {
    test::FakeClient client;
    client.on({"docker", "rm"}, test::cannot_run("docker: not found"));
    const auto removed = docker::remove_job_containers(client, names);
    REQUIRE_FALSE(removed);
    CHECK(removed.error() == "cannot remove drydock-r1-job-j0, drydock-r1-job-j0-s1: docker: not found");
  }
}

TEST_CASE("remove_job_containers: the one removed and the one already gone, both fine", "[docker]")
{
  // docker rm prints the names it removed and complains of the others; a
  // job whose container never started (its stop runs finally) gets this.
  test::FakeClient client;
  client.on({"docker", "rm"}, test::exits(1, "drydock-r1-job-j0\nError response from daemon: No such container: "
                                             "drydock-r1-job-j0-s1\n"));
  const auto removed = docker::remove_job_containers(client, {"drydock-r1-job-j0", "drydock-r1-job-j0-s1"});
  INFO((removed ? std::string() : removed.error()));
  REQUIRE(removed);
  CHECK(*removed == 1);
  test::FakeClient gone;
  gone.on({"docker", "rm"}, test::exits(1, "Error response from daemon: No such container: drydock-r1-job-j0\n"));
  const auto none = docker::remove_job_containers(gone, {"drydock-r1-job-j0"});
  REQUIRE(none);
  CHECK(*none == 0); // a job whose containers never started: nothing to remove
}

TEST_CASE("copy_tree_into makes the directory, copies, and gives it to the container's user", "[docker]")
{
  SECTION("a user of its own: cp, then chown")
  {
    test::FakeClient client;
    client.on({"docker", "exec", "--", "c1", "sh"}, test::ok("/home/circleci/project\n1000:1000\n"))
        .on({"docker", "cp"}, test::ok())
        .on({"docker", "exec", "--user", "0"}, test::ok());
    const auto copied = docker::copy_tree_into(client, "/src/app", "c1", "~/project");
    REQUIRE(copied);
    CHECK(*copied == "/home/circleci/project");
    const auto argvs = client.argvs();
    REQUIRE(argvs.size() == 3);
    CHECK(argvs[0] == docker::make_dir_in("c1", "~/project"));
    CHECK(argvs[1] == docker::copy_into("/src/app", "c1", "/home/circleci/project"));
    CHECK(argvs[2] == docker::give_to("c1", "1000:1000", "/home/circleci/project"));
  }
  SECTION("root: no chown")
  {
    test::FakeClient client;
    client.on({"docker", "exec", "--", "c1", "sh"}, test::ok("/root/app\n0:0\n")).on({"docker", "cp"}, test::ok());
    const auto copied = docker::copy_tree_into(client, "/src/app", "c1", "app");
    REQUIRE(copied);
    CHECK(*copied == "/root/app");
    CHECK(client.call_count() == 2);
  }
  SECTION("make_dir_in said something else: an error, nothing copied")
  {
    for (const std::string said : {"/root/app\n", "root/app\n0:0\n", "/root/app\n0:0\nmore\n", ""}) {
      test::FakeClient client;
      client.on({"docker", "exec"}, test::ok(said));
      const auto copied = docker::copy_tree_into(client, "/src/app", "c1", "~/app");
      REQUIRE_FALSE(copied);
      CHECK(copied.error().starts_with("cannot make ~/app in c1: "));
      CHECK(client.call_count() == 1);
    }
    test::FakeClient client;
    client.on({"docker", "exec"}, test::exits(1, "mkdir: cannot create directory '/x': Permission denied\n"));
    const auto copied = docker::copy_tree_into(client, "/src/app", "c1", "/x");
    REQUIRE_FALSE(copied);
    CHECK(copied.error() == "cannot make /x in c1: mkdir: cannot create directory '/x': Permission denied");
  }
  SECTION("cp or chown failing")
  {
    test::FakeClient client;
    client.on({"docker", "exec", "--", "c1", "sh"}, test::ok("/root/app\n1000:1000\n"))
        .on({"docker", "cp"}, test::exits(1, "no space left on device\n"));
    auto copied = docker::copy_tree_into(client, "/src/app", "c1", "app");
    REQUIRE_FALSE(copied);
    CHECK(copied.error() == "cannot copy into c1:/root/app: no space left on device");

    test::FakeClient chown;
    chown.on({"docker", "exec", "--", "c1", "sh"}, test::ok("/root/app\n1000:1000\n"))
        .on({"docker", "cp"}, test::ok())
        .on({"docker", "exec", "--user", "0"}, test::exits(1, "chown: invalid user\n"));
    copied = docker::copy_tree_into(chown, "/src/app", "c1", "app");
    REQUIRE_FALSE(copied);
    CHECK(copied.error() == "cannot give /root/app to 1000:1000 in c1: chown: invalid user");
  }
}
