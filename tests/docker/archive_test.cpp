#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include "docker/archive.hpp"
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
