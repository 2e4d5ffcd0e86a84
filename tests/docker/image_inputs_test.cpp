// The run-time check of an image's inputs (docker/image_cache.cpp): what a
// glob matches is hashed only when it is a regular file inside the config's
// folder. Each key is computed in a child process, so an input that blocks
// (a fifo) or never ends (/dev/zero) fails the test instead of hanging it.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "docker/image_cache.hpp"

namespace fs = std::filesystem;
using namespace drydock;

namespace {

struct TempDir {
  TempDir()
  {
    std::string pattern = (fs::temp_directory_path() / "drydock-inputs-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

void write(const fs::path& path, const std::string& text)
{
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

docker::ImageJob job_in(const fs::path& dir, std::vector<std::string> inputs, bool allow_outside = false)
{
  write(dir / "Dockerfile", "FROM scratch\n");
  docker::ImageJob job;
  job.name = "app";
  job.repository = "acme/app";
  job.config_dir = dir.string();
  job.dockerfile = (dir / "Dockerfile").string();
  job.context = dir.string();
  job.input_patterns = std::move(inputs);
  job.allow_outside_inputs = allow_outside;
  return job;
}

// "key" for a key, the error text for an error, "timed out" when the child
// took longer than five seconds (then it is killed).
std::string outcome(const docker::ImageJob& job)
{
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    const auto key = docker::compute_key(job, [](const std::string&) { return std::string("sha256:1"); });
    const std::string text = key ? "key" : key.error();
    [[maybe_unused]] const auto written = ::write(fds[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string text;
  bool done = false;
  while (!done) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                            - std::chrono::steady_clock::now());
    pollfd readable{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ::close(fds[0]);
      return "timed out";
    }
    char buffer[4096];
    const auto got = ::read(fds[0], buffer, sizeof buffer);
    done = got <= 0;
    text.append(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
  }
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return text;
}

} // namespace

TEST_CASE("image inputs: regular files inside the config's folder are hashed", "[docker][inputs]")
{
  TempDir dir;
  write(dir.path / "requirements/base.txt", "flask\n");
  fs::create_directories(dir.path / "requirements/sub");
  CHECK(outcome(job_in(dir.path, {"requirements/*"})) == "key"); // the directory a wildcard matched is passed over
}

TEST_CASE("image inputs: a fifo is refused at once, never opened", "[docker][inputs]")
{
  TempDir dir;
  REQUIRE(::mkfifo((dir.path / "pipe").c_str(), 0600) == 0);
  const std::string path = (dir.path / "pipe").string();
  CHECK(outcome(job_in(dir.path, {"pipe"}))
        == "the input 'pipe' matches " + path + ", which is a fifo; inputs must be regular files");
  CHECK(outcome(job_in(dir.path, {"pi*"}))
        == "the input 'pi*' matches " + path + ", which is a fifo; inputs must be regular files");
}

TEST_CASE("image inputs: /dev/zero and /dev/null are refused even when outside inputs are allowed", "[docker][inputs]")
{
  TempDir dir;
  CHECK(outcome(job_in(dir.path, {"/dev/zero"}, true))
        == "the input '/dev/zero' matches /dev/zero, which is a character device; inputs must be regular files");
  CHECK(outcome(job_in(dir.path, {"/dev/null"}, true))
        == "the input '/dev/null' matches /dev/null, which is a character device; inputs must be regular files");
}

TEST_CASE("image inputs: a directory named by itself is refused", "[docker][inputs]")
{
  TempDir dir;
  write(dir.path / "docs/a.md", "a\n");
  CHECK(outcome(job_in(dir.path, {"docs"}))
        == "the input 'docs' matches " + (dir.path / "docs").string()
               + ", which is a directory; inputs must be regular files");
}

TEST_CASE("image inputs: a symlink out of the config's folder is refused unless allowed", "[docker][inputs]")
{
  TempDir dir;
  TempDir outside;
  write(outside.path / "secret.txt", "s\n");
  fs::create_symlink(outside.path / "secret.txt", dir.path / "link.txt");
  const std::string real = fs::canonical(outside.path / "secret.txt").string();
  CHECK(outcome(job_in(dir.path, {"*.txt"}))
        == "the input '*.txt' matches " + (dir.path / "link.txt").string() + ", which resolves to " + real
               + ", outside the config's folder " + fs::canonical(dir.path).string()
               + "; set 'allow_outside_inputs: true' on the image to hash it");
  CHECK(outcome(job_in(dir.path, {"*.txt"}, true)) == "key");
}
