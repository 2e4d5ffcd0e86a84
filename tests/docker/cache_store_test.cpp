// The caches folder (save_cache and restore_cache's files): keys rendered
// from their parts, the files of a key, finding a cache by its exact key or
// the newest by prefix, and pruning what was not used for a while.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "docker/cache_store.hpp"
#include "test_support.hpp"
#include "util/file.hpp"

using namespace drydock;
namespace fs = std::filesystem;
using Kind = pipeline::KeyPart::Kind;
using Lines = std::vector<std::string>;

namespace {

// A new folder under TMPDIR, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir()
  {
    std::string pattern = (fs::path(util::temp_dir()) / "drydock-cache-store-test.XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir()
  {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str() const { return path.string(); }
};

void write(const fs::path& path, const std::string& text)
{
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

// A cache of `key` in dir: its key file (written through the store) and an
// archive.
void make_cache(const std::string& dir, const std::string& key, const std::string& content = "archive")
{
  REQUIRE(docker::write_cache_key(dir, key));
  write(docker::cache_archive_path(dir, key), content);
}

// Both of a cache's files set to `when` (the key's too unless told).
void set_times(const std::string& dir, const std::string& key, fs::file_time_type archive, fs::file_time_type key_file)
{
  fs::last_write_time(docker::cache_archive_path(dir, key), archive);
  fs::last_write_time(docker::cache_key_path(dir, key), key_file);
}

pipeline::CacheKey key_of(std::string written, std::vector<pipeline::KeyPart> parts)
{
  return {std::move(written), std::move(parts)};
}

docker::KeyValues values_with(std::map<std::string, std::string> vars)
{
  docker::KeyValues values;
  values.env = [vars](const std::string& name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    return found == vars.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  values.checksum = [](const std::string& file) -> tl::expected<std::string, std::string> {
    if (file == "missing.lock") {
      return tl::unexpected(std::string("no such file"));
    }
    return "sum(" + file + ")";
  };
  values.epoch = 1700000000;
  values.arch = "linux-arm64";
  return values;
}

// A pid that no process has: a child that exited and was reaped.
pid_t dead_pid()
{
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  return child;
}

} // namespace

// ---- keys ----

TEST_CASE("render_key puts text, variables, checksums, epoch and arch together "
          "in order",
          "[docker][kept]")
{
  const auto key = key_of("v1-{{ .Branch }}-{{ checksum \"package.lock\" }}-{{ "
                          "epoch }}-{{ arch }}-{{ .Environment.X }}",
                          {{Kind::text, "v1-"},
                           {Kind::env, "CIRCLE_BRANCH"},
                           {Kind::text, "-"},
                           {Kind::checksum, "package.lock"},
                           {Kind::text, "-"},
                           {Kind::epoch, ""},
                           {Kind::text, "-"},
                           {Kind::arch, ""},
                           {Kind::text, "-"},
                           {Kind::env, "X"}});
  const auto rendered = docker::render_key(key, values_with({{"CIRCLE_BRANCH", "main"}, {"X", "x1"}}));
  REQUIRE(rendered);
  CHECK(*rendered == "v1-main-sum(package.lock)-1700000000-linux-arm64-x1");
}

TEST_CASE("render_key: a variable that is not set renders as <no value>", "[docker][kept]")
{
  const auto key = key_of("deps-{{ .Branch }}", {{Kind::text, "deps-"}, {Kind::env, "CIRCLE_BRANCH"}});
  CHECK(docker::render_key(key, values_with({})).value() == "deps-<no value>");
  CHECK(docker::render_key(key, values_with({{"CIRCLE_BRANCH", ""}})).value() == "deps-"); // set, empty: empty
  docker::KeyValues none;                                                                  // no environment at all
  CHECK(docker::render_key(key, none).value() == "deps-<no value>");
}

TEST_CASE("render_key: a checksum that cannot be taken is an error naming the "
          "key and the file",
          "[docker][kept]")
{
  const auto key = key_of("v1-{{ checksum \"missing.lock\" }}",
                          {{Kind::text, "v1-"}, {Kind::checksum, "missing.lock"}});
  const auto rendered = docker::render_key(key, values_with({}));
  REQUIRE_FALSE(rendered);
  CHECK(rendered.error()
        == "key 'v1-{{ checksum \"missing.lock\" }}': cannot "
           "take the checksum of missing.lock: no such file");
}

TEST_CASE("Checksum is the base64 of the SHA-256, whatever the chunks", "[docker][kept]")
{
  docker::Checksum empty;
  CHECK(empty.base64() == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  docker::Checksum whole;
  whole.add("hello world");
  CHECK(whole.base64() == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
  docker::Checksum chunks;
  chunks.add("hel");
  chunks.add("");
  chunks.add("lo wor");
  chunks.add("ld");
  CHECK(chunks.base64() == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
}

TEST_CASE("machine_arch is OS-ARCH in lower case", "[docker][kept]")
{
  const auto arch = docker::machine_arch();
  const auto dash = arch.find('-');
  REQUIRE(dash != std::string::npos);
  CHECK(dash > 0);
  CHECK(dash + 1 < arch.size());
  for (const char c : arch) {
    CHECK_FALSE(std::isupper(static_cast<unsigned char>(c)));
  }
  CHECK(arch.find("x86_64") == std::string::npos); // as Go names it
  CHECK(arch.find("aarch64") == std::string::npos);
}

// ---- the files of a key ----

TEST_CASE("a key's files are named by its SHA-256, in the folder", "[docker][kept]")
{
  CHECK(docker::cache_archive_path("/c", "abc") == "/c/ba7816bf8f01cfea414140de5dae2223.tar.zst");
  CHECK(docker::cache_key_path("/c", "abc") == "/c/ba7816bf8f01cfea414140de5dae2223.key");
  CHECK(docker::cache_archive_path("/c", "abd") != docker::cache_archive_path("/c", "abc"));
}

TEST_CASE("write_cache_key writes the key's text, and nothing else is left", "[docker][kept]")
{
  TempDir dir;
  REQUIRE(docker::write_cache_key(dir.str(), "v1-main"));
  CHECK(test::read_text(docker::cache_key_path(dir.str(), "v1-main")) == "v1-main");
  CHECK(test::files_in(dir.path) == Lines{fs::path(docker::cache_key_path(dir.str(), "v1-main")).filename().string()});
}

TEST_CASE("cache_exists needs both files and the key file's text to be the key", "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  CHECK_FALSE(docker::cache_exists(d, "k"));

  REQUIRE(docker::write_cache_key(d, "k"));
  CHECK_FALSE(docker::cache_exists(d, "k")); // no archive yet

  write(docker::cache_archive_path(d, "k"), "z");
  CHECK(docker::cache_exists(d, "k"));
  CHECK_FALSE(docker::cache_exists(d, "k2"));

  write(docker::cache_key_path(d, "k"),
        "another key"); // as if two keys had one id
  CHECK_FALSE(docker::cache_exists(d, "k"));

  write(docker::cache_key_path(d, "k"), "k");
  fs::remove(docker::cache_archive_path(d, "k"));
  CHECK_FALSE(docker::cache_exists(d, "k")); // a key without its archive
}

// ---- finding ----

TEST_CASE("find_cache: the exact key first, even when a newer cache has it as "
          "a prefix",
          "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  const auto now = fs::file_time_type::clock::now();
  make_cache(d, "v1-");
  make_cache(d, "v1-abc");
  set_times(d, "v1-", now - std::chrono::hours(48), now - std::chrono::hours(48));
  set_times(d, "v1-abc", now, now);

  const auto found = docker::find_cache(d, "v1-");
  REQUIRE(found);
  CHECK(found->key == "v1-");
  CHECK(found->archive == docker::cache_archive_path(d, "v1-"));
  CHECK(found->exact);
  CHECK(found->candidates == 1);
}

TEST_CASE("find_cache: else the newest by its key file's time among the keys "
          "it starts",
          "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  const auto now = fs::file_time_type::clock::now();
  make_cache(d, "v1-main-aaa");
  make_cache(d, "v1-main-bbb");
  make_cache(d, "v1-main-ccc");
  make_cache(d, "v2-main-zzz"); // the newest, but not of the prefix
  // Archives' times the other way round: only the key file's time counts.
  set_times(d, "v1-main-aaa", now, now - std::chrono::hours(30));
  set_times(d, "v1-main-bbb", now - std::chrono::hours(50), now - std::chrono::hours(2));
  set_times(d, "v1-main-ccc", now - std::chrono::hours(1), now - std::chrono::hours(10));
  set_times(d, "v2-main-zzz", now, now);

  const auto found = docker::find_cache(d, "v1-main-");
  REQUIRE(found);
  CHECK(found->key == "v1-main-bbb");
  CHECK(found->archive == docker::cache_archive_path(d, "v1-main-bbb"));
  CHECK_FALSE(found->exact);
  CHECK(found->candidates == 3);

  const auto v1 = docker::find_cache(d, "v1-");
  REQUIRE(v1);
  CHECK(v1->key == "v1-main-bbb");
  CHECK(v1->candidates == 3);

  const auto all = docker::find_cache(d, "v");
  REQUIRE(all);
  CHECK(all->key == "v2-main-zzz");
  CHECK(all->candidates == 4);
}

TEST_CASE("find_cache: nothing when no key has it as a prefix, nor for a key "
          "without its archive",
          "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  CHECK_FALSE(docker::find_cache(d, "v1-"));
  CHECK_FALSE(docker::find_cache(d + "/none", "v1-")); // no folder yet
  make_cache(d, "v1-main");
  CHECK_FALSE(docker::find_cache(d, "v2-"));
  CHECK_FALSE(docker::find_cache(d, "v1-main-"));  // longer than the key: not its prefix
  REQUIRE(docker::write_cache_key(d, "v1-other")); // written, its archive not yet
  const auto found = docker::find_cache(d, "v1-");
  REQUIRE(found);
  CHECK(found->key == "v1-main");
  CHECK(found->candidates == 1);
  CHECK_FALSE(docker::find_cache(d, "v1-o"));
}

// ---- pruning ----

TEST_CASE("prune_caches removes the caches whose archive and key are both "
          "older than max_age",
          "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  const auto file_now = fs::file_time_type::clock::now();
  const auto old = file_now - std::chrono::hours(24 * 20);
  const auto recent = file_now - std::chrono::hours(24);
  make_cache(d, "old");
  make_cache(d, "restored");  // an old key, its archive touched recently
  make_cache(d, "rewritten"); // an old archive, its key recent
  make_cache(d, "fresh");
  set_times(d, "old", old, old);
  set_times(d, "restored", recent, old);
  set_times(d, "rewritten", old, recent);
  set_times(d, "fresh", recent, recent);

  const auto removed = docker::prune_caches(d, std::chrono::system_clock::now(), std::chrono::hours(24 * 15));
  CHECK(removed == Lines{"old"});
  CHECK_FALSE(fs::exists(docker::cache_archive_path(d, "old")));
  CHECK_FALSE(fs::exists(docker::cache_key_path(d, "old")));
  CHECK(docker::cache_exists(d, "restored"));
  CHECK(docker::cache_exists(d, "rewritten"));
  CHECK(docker::cache_exists(d, "fresh"));
  CHECK(test::files_in(dir.path).size() == 6);
}

TEST_CASE("prune_caches measures the age from the `now` it is given", "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  const auto file_now = fs::file_time_type::clock::now();
  make_cache(d, "a");
  set_times(d, "a", file_now - std::chrono::hours(24), file_now - std::chrono::hours(24));
  const auto system_now = std::chrono::system_clock::now();
  CHECK(docker::prune_caches(d, system_now, std::chrono::hours(48)).empty());
  CHECK(docker::cache_exists(d, "a"));
  CHECK(docker::prune_caches(d, system_now + std::chrono::hours(72), std::chrono::hours(48)) == Lines{"a"});
  CHECK_FALSE(fs::exists(docker::cache_archive_path(d, "a")));
}

TEST_CASE("touch_cache marks a cache used, so pruning keeps it", "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(24 * 30);
  make_cache(d, "used");
  make_cache(d, "unused");
  set_times(d, "used", old, old);
  set_times(d, "unused", old, old);
  const auto found = docker::find_cache(d, "used");
  REQUIRE(found);
  docker::touch_cache(*found);
  CHECK(fs::last_write_time(found->archive) > old + std::chrono::hours(24 * 29));

  CHECK(docker::prune_caches(d, std::chrono::system_clock::now(), std::chrono::hours(24 * 15)) == Lines{"unused"});
  CHECK(docker::cache_exists(d, "used"));
  CHECK_FALSE(docker::cache_exists(d, "unused"));
}

TEST_CASE("prune_caches removes the temporary files of writers that are gone, "
          "only theirs",
          "[docker][kept]")
{
  TempDir dir;
  const std::string d = dir.str();
  make_cache(d, "kept");
  const std::string name = fs::path(docker::cache_archive_path(d, "kept")).filename().string();
  const std::string dead = fmt::format(".{}.partial-{}-00000000000000ab", name, dead_pid());
  const std::string live = fmt::format(".{}.partial-{}-00000000000000cd", name, ::getpid());
  const std::string other = "notes.txt";
  write(dir.path / dead, "half");
  write(dir.path / live, "half");
  write(dir.path / other, "mine");

  CHECK(docker::prune_caches(d, std::chrono::system_clock::now(), std::chrono::hours(24 * 15)).empty());
  CHECK_FALSE(fs::exists(dir.path / dead));
  CHECK(fs::exists(dir.path / live)); // a writer at work
  CHECK(fs::exists(dir.path / other));
  CHECK(docker::cache_exists(d, "kept"));
}

TEST_CASE("prune_caches of a folder that is not there removes nothing", "[docker][kept]")
{
  TempDir dir;
  CHECK(docker::prune_caches(dir.str() + "/none", std::chrono::system_clock::now(), std::chrono::hours(1)).empty());
  CHECK_FALSE(fs::exists(dir.path / "none"));
}
