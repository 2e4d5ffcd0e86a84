#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

#include "docker/archive.hpp"
#include "util/file.hpp"
#include "exec/run_fixture.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {

std::string sample_bytes(std::size_t size)
{
  std::mt19937 random(42);
  std::string text;
  while (text.size() < size) {
    text += "layer line " + std::to_string(random() % 1000) + "\n"; // compressible, like a tar
  }
  return text.substr(0, size);
}

void write_archive(const std::string& path, const std::string& data)
{
  docker::ArchiveWriter writer;
  REQUIRE(writer.open(path, 3));
  REQUIRE(writer.write(data));
  REQUIRE(writer.commit());
}

tl::expected<std::string, std::string> read_all(const std::string& path)
{
  std::string out;
  auto done = docker::read_archive(path, [&out](std::string_view chunk) -> tl::expected<void, std::string> {
    out += chunk;
    return {};
  });
  if (!done) {
    return tl::unexpected(done.error());
  }
  return out;
}

} // namespace

TEST_CASE("an archive reads back byte for byte and is smaller than its input", "[docker][archive]")
{
  test::ScratchDir dir;
  const std::string path = docker::archive_path(dir.path(), "app", std::string(32, 'a'));
  const std::string data = sample_bytes(3 << 20);
  write_archive(path, data);
  CHECK(fs::file_size(path) < data.size() / 2);
  const auto back = read_all(path);
  REQUIRE(back);
  CHECK(*back == data);
  CHECK(test::files_in(dir.path()) == std::vector<std::string>{"app-" + std::string(32, 'a') + ".tar.zst"});
}

TEST_CASE("truncated and corrupted archives are reported, not read as good", "[docker][archive]")
{
  test::ScratchDir dir;
  const std::string path = (fs::path(dir.path()) / "app-x.tar.zst").string();
  write_archive(path, sample_bytes(1 << 20));
  const auto size = fs::file_size(path);
  SECTION("truncated")
  {
    fs::resize_file(path, size / 2);
    CHECK(read_all(path).error() == "the archive is truncated");
  }
  SECTION("corrupted in the middle")
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    file.write("corruption!", 11);
    file.close();
    CHECK(read_all(path).error().starts_with("the archive is corrupted ("));
  }
  SECTION("not zstd at all")
  {
    std::ofstream(path, std::ios::trunc) << "plain tar bytes";
    CHECK(read_all(path).error().starts_with("the archive is corrupted ("));
  }
}

TEST_CASE("a writer that is not committed leaves no file behind", "[docker][archive]")
{
  test::ScratchDir dir;
  const std::string path = (fs::path(dir.path()) / "app-x.tar.zst").string();
  {
    docker::ArchiveWriter writer;
    REQUIRE(writer.open(path, 3));
    REQUIRE(writer.write(sample_bytes(1000)));
    CHECK(test::files_in(dir.path()).size() == 1); // the temporary file, under another name
    CHECK_FALSE(fs::exists(path));
  }
  CHECK(test::files_in(dir.path()).empty());
}

TEST_CASE("pruning keeps the newest archives and always the current one", "[docker][archive]")
{
  test::ScratchDir dir;
  const auto key = [](char c) { return std::string(32, c); };
  const auto now = fs::file_time_type::clock::now();
  int age = 10;
  for (const char c : {'a', 'b', 'c', 'd'}) {
    const std::string path = docker::archive_path(dir.path(), "app", key(c));
    std::ofstream(path) << c;
    fs::last_write_time(path, now - std::chrono::minutes(age--)); // a oldest, d newest
  }
  std::ofstream(docker::archive_path(dir.path(), "other", key('a'))) << "another image";
  std::ofstream((fs::path(dir.path()) / "app-notakey.tar.zst").string()) << "not ours";
  const auto removed = docker::prune_archives(dir.path(), "app", key('a'), 2);
  CHECK(removed.size() == 2);
  CHECK(test::files_in(dir.path())
        == std::vector<std::string>{"app-" + key('a') + ".tar.zst", "app-" + key('d') + ".tar.zst",
                                    "app-notakey.tar.zst", "other-" + key('a') + ".tar.zst"});
}

TEST_CASE("pruning never removes a writer's temporary file or another run's newest archive", "[docker][archive]")
{
  test::ScratchDir dir;
  const auto key = [](char c) { return std::string(32, c); };
  const std::string temp = util::temporary_path_for(docker::archive_path(dir.path(), "app", key('b')));
  std::ofstream(temp) << "being written";
  const auto now = fs::file_time_type::clock::now();
  const std::string old = docker::archive_path(dir.path(), "app", key('c'));
  std::ofstream(old) << "old";
  fs::last_write_time(old, now - std::chrono::hours(1));
  std::ofstream(docker::archive_path(dir.path(), "app", key('d'))) << "just renamed by another run";
  const auto removed = docker::prune_archives(dir.path(), "app", key('a'), 2);
  CHECK(removed == std::vector<std::string>{old});
  CHECK(fs::exists(temp));
  CHECK(fs::exists(docker::archive_path(dir.path(), "app", key('d'))));
}

TEST_CASE("stale temporaries: only those of a writer that is gone are removed", "[docker][archive]")
{
  test::ScratchDir dir;
  const auto in_dir = [&](const std::string& name) { return (fs::path(dir.path()) / name).string(); };
  const std::string mine = util::temporary_path_for(in_dir("app-" + std::string(32, 'a') + ".tar.zst"));
  std::ofstream(mine) << "a live writer's";
  for (const char* gone : {".app-aa.tar.zst.partial-999999999-00ff", ".app.inputs.partial-999999999-00ff",
                           ".app.archive-run1.partial-999999999-00ff"}) {
    std::ofstream(in_dir(gone)) << "a dead writer's";
  }
  std::ofstream(in_dir(".application.inputs.partial-999999999-00ff")) << "another image's";
  docker::remove_stale_temporaries(dir.path(), "app");
  CHECK(test::files_in(dir.path())
        == std::vector<std::string>{fs::path(mine).filename().string(), ".application.inputs.partial-999999999-00ff"});
}

// A child writing an archive is stopped by a signal: its handler removes
// the temporary file before the signal ends it.
TEST_CASE("a writer stopped by SIGTERM or SIGINT leaves no temporary file", "[docker][archive]")
{
  const int sig = GENERATE(SIGTERM, SIGINT);
  test::ScratchDir dir;
  const std::string path = (fs::path(dir.path()) / "app-x.tar.zst").string();
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    docker::ArchiveWriter writer;
    if (!writer.open(path, 3) || !writer.write(sample_bytes(100000))) {
      ::_exit(2);
    }
    ::raise(sig);
    ::_exit(3); // not reached: the handler re-raises with the default action
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == sig);
  CHECK(test::files_in(dir.path()).empty());
}
