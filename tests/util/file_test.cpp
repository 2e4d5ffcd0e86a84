#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "exec/run_fixture.hpp"
#include "util/file.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {

} // namespace

TEST_CASE("atomic files: the temporary name is hidden beside the file, names its writer and is new each time", "[util]["
                                                                                                               "file]")
{
  const auto first = util::temporary_path_for("/cache/app.inputs");
  const auto second = util::temporary_path_for("/cache/app.inputs");
  const auto prefix = fmt::format("/cache/.app.inputs.partial-{}-", ::getpid());
  CHECK(first.starts_with(prefix));
  CHECK(first.size() == prefix.size() + 16); // 64 random bits in hex
  CHECK(second.starts_with(prefix));
  CHECK(first != second);
}

TEST_CASE("atomic files: two writers of one file at once each write their own temporary file; the last rename wins",
          "[util][file]")
{
  test::ScratchDir dir;
  const auto path = (dir.path() / "app.inputs").string();
  util::AtomicFile one;
  util::AtomicFile two;
  REQUIRE(one.open(path));
  REQUIRE(two.open(path));
  REQUIRE(one.write("one\n"));
  REQUIRE(two.write("two\n"));
  CHECK(test::files_in(dir.path()).size() == 2);
  REQUIRE(one.commit());
  REQUIRE(two.commit());
  CHECK(test::read_text(path) == "two\n");
  CHECK(test::files_in(dir.path()) == std::vector<std::string>{"app.inputs"});
}

TEST_CASE("atomic files: written whole under the real name, folders made, the old content replaced", "[util][file]")
{
  test::ScratchDir dir;
  const auto path = (dir.path() / "deep" / "er" / "app.inputs").string();
  REQUIRE(util::write_file_atomically(path, "first\n"));
  REQUIRE(util::write_file_atomically(path, "second\n"));
  CHECK(test::read_text(path) == "second\n");
  CHECK(test::files_in(dir.path() / "deep" / "er") == std::vector<std::string>{"app.inputs"});
}

TEST_CASE("atomic files: a failure leaves no temporary file and the old content", "[util][file]")
{
  test::ScratchDir dir;
  SECTION("the folder cannot be made")
  {
    dir.write("plain", "a file, not a folder");
    const auto path = (dir.path() / "plain" / "app.inputs").string();
    const auto written = util::write_file_atomically(path, "text");
    REQUIRE_FALSE(written);
    CHECK(written.error().starts_with("cannot write " + (dir.path() / "plain" / ".app.inputs.partial-").string()));
    CHECK(written.error().ends_with(": Not a directory"));
    CHECK(test::files_in(dir.path()) == std::vector<std::string>{"plain"});
  }
  SECTION("the rename fails")
  {
    fs::create_directories(dir.path() / "app.inputs" / "in-the-way");
    const auto path = (dir.path() / "app.inputs").string();
    const auto written = util::write_file_atomically(path, "text");
    REQUIRE_FALSE(written);
    CHECK(written.error() == "cannot write " + path + ": Is a directory");
    CHECK(test::files_in(dir.path()) == std::vector<std::string>{"app.inputs"});
  }
  SECTION("never committed")
  {
    const auto path = (dir.path() / "app.inputs").string();
    REQUIRE(util::write_file_atomically(path, "old\n"));
    {
      util::AtomicFile file;
      REQUIRE(file.open(path));
      REQUIRE(file.write("new, but abandoned\n"));
      CHECK(test::files_in(dir.path()).size() == 2); // the file and its temporary one
    }
    CHECK(test::read_text(path) == "old\n");
    CHECK(test::files_in(dir.path()) == std::vector<std::string>{"app.inputs"});
  }
}

TEST_CASE("the folder for temporary files: TMPDIR when set and not empty, else /tmp", "[util][file]")
{
  CHECK(util::temp_dir(std::nullopt) == "/tmp");
  CHECK(util::temp_dir(std::string()) == "/tmp");
  CHECK(util::temp_dir(std::string("/scratch")) == "/scratch");
  const char* old = std::getenv("TMPDIR");
  const std::optional<std::string> saved = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("TMPDIR", "/from/env", 1);
  CHECK(util::temp_dir() == "/from/env");
  ::setenv("TMPDIR", "", 1);
  CHECK(util::temp_dir() == "/tmp");
  ::unsetenv("TMPDIR");
  CHECK(util::temp_dir() == "/tmp");
  saved ? ::setenv("TMPDIR", saved->c_str(), 1) : ::unsetenv("TMPDIR");
}

TEST_CASE("copies into the record stay inside it: a symbolic link on the way, or a climb out, is refused", "[util]["
                                                                                                           "file]")
{
  test::ScratchDir dir;
  const auto root = (dir.path() / "record").string();
  std::filesystem::create_directories(dir.path() / "record" / "job" / "out");
  std::filesystem::create_directories(dir.path() / "elsewhere");
  std::filesystem::create_directory_symlink(dir.path() / "elsewhere", dir.path() / "record" / "job" / "out" / "link");
  CHECK(util::escape_from(root, root + "/job/out") == std::nullopt);
  CHECK(util::escape_from(root, root + "/job/new/deeper") == std::nullopt); // not there yet: fine
  CHECK(util::escape_from(root, root + "/job/out/link/x") == root + "/job/out/link is a symbolic link");
  CHECK(util::escape_from(root, root + "/../elsewhere") == root + "/../elsewhere is not inside " + root);
  CHECK(util::escape_from(root, root) == std::nullopt);
}

TEST_CASE("symbolic links below a folder are removed, never followed", "[util][file]")
{
  test::ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "copy" / "sub");
  std::filesystem::create_directories(dir.path() / "target");
  std::ofstream(dir.path() / "target" / "keep.txt") << "kept\n";
  std::ofstream(dir.path() / "copy" / "sub" / "file.txt") << "a file\n";
  std::filesystem::create_directory_symlink(dir.path() / "target", dir.path() / "copy" / "sub" / "to-dir");
  std::filesystem::create_symlink(dir.path() / "target" / "keep.txt", dir.path() / "copy" / "to-file");
  std::filesystem::create_symlink(dir.path() / "nowhere", dir.path() / "copy" / "dangling");
  CHECK(util::remove_symlinks((dir.path() / "copy").string()) == 3);
  CHECK(std::filesystem::exists(dir.path() / "copy" / "sub" / "file.txt"));
  CHECK(std::filesystem::exists(dir.path() / "target" / "keep.txt")); // what a link pointed at stays
  CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(dir.path() / "copy" / "to-file")));
}
