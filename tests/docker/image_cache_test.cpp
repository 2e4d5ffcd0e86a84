// The image cache's decisions against a fake docker client: what it asks
// the engine, what it loads, builds, saves and tags, and what it says.
#include <catch2/catch.hpp>

#include "test_support.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "docker/archive.hpp"
#include "docker/commands.hpp"
#include "docker/fake_client.hpp"
#include "docker/image_archive.hpp"
#include "docker/image_cache.hpp"
#include "docker/leftovers.hpp"
#include "exec/run_fixture.hpp"

using namespace drydock;
using test::exits;
using test::ok;
namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

namespace {

// An image `app` built FROM base:1, cached under <scratch>/cache.
struct CacheFixture {
  test::ScratchDir dir;
  docker::ImageJob job;
  std::string key;       // the key with base:1 at sha256:base
  std::string reference; // app:KEY
  std::string archive;
  std::vector<std::string> lines;

  CacheFixture()
  {
    dir.write("Dockerfile", "FROM base:1\nRUN make\n");
    job.name = "app";
    job.repository = "app";
    job.config_dir = dir.path().string();
    job.dockerfile = (dir.path() / "Dockerfile").string();
    job.context = dir.path().string();
    job.cache_dir = (dir.path() / "cache").string();
    job.run_tag = "local";
    job.run_id = "run1";
    job.owner = docker::owner_of(::getpid());
    key = docker::compute_key(job, [](const std::string&) { return std::string("sha256:base"); }).value().key;
    reference = "app:" + key;
    archive = docker::archive_path(job.cache_dir, job.name, key);
  }

  tl::expected<docker::EnsureResult, std::string> ensure(const docker::Client& client)
  {
    return docker::ensure_image(client, job, [this](const std::string& line) { lines.push_back(line); });
  }

  // The archive step of the same run.
  void write_requested(const docker::Client& client)
  {
    docker::write_requested_archive(client, job, [this](const std::string& line) { lines.push_back(line); });
  }

  void write_archive(const std::string& data) const
  {
    docker::ArchiveWriter writer;
    REQUIRE(writer.open(archive, 3));
    REQUIRE(writer.write(data));
    REQUIRE(writer.commit());
  }

  Argv build_argv() const
  {
    return docker::build(
        {reference, job.dockerfile, job.context, {}, {{"io.drydock.image", "app"}, {"io.drydock.key", key}}});
  }

  // The engine knows base:1; the rest is up to the test.
  static void add_base(test::FakeClient& client)
  {
    client.on(docker::inspect_images({"base:1"}), ok("sha256:base base:1\n"));
  }
};

std::string archive_text(const std::string& path)
{
  std::string out;
  const auto read = docker::read_archive(path, [&out](std::string_view chunk) -> tl::expected<void, std::string> {
    out += chunk;
    return {};
  });
  return read ? out : "(unreadable: " + read.error() + ")";
}

} // namespace

TEST_CASE("image cache: present in the engine with its archive: nothing loaded, built or saved", "[docker][cache]")
{
  CacheFixture f;
  f.write_archive("tar");
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(f.archive, long_ago);
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), ok("sha256:img " + f.reference + " app:local\n"));
  const auto result = f.ensure(client);
  REQUIRE(result);
  CHECK(result->source == docker::ImageSource::present);
  CHECK(result->reference == f.reference);
  CHECK(client.argvs() == std::vector<Argv>{docker::inspect_images({"base:1"}), docker::inspect_images({f.reference})});
  CHECK(f.lines == std::vector<std::string>{f.reference + " present (tagged app:local)"});
  CHECK(fs::last_write_time(f.archive) > long_ago); // just used: pruning keeps it
  CHECK(docker::last_key(f.job)->key == f.key);
  CHECK_FALSE(result->archive_requested);
  f.lines.clear();
  f.write_requested(client); // the archive step: nothing asked of the engine
  CHECK(client.call_count() == 2);
  CHECK(f.lines
        == std::vector<std::string>{"nothing to write: image:app did not build the image, and its archive was there"});
}

TEST_CASE("image cache: a present image not yet tagged for the run is tagged", "[docker][cache]")
{
  CacheFixture f;
  f.write_archive("tar");
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), ok("sha256:img " + f.reference + "\n"));
  client.on(docker::tag(f.reference, "app:local"), ok());
  REQUIRE(f.ensure(client));
  const auto calls = client.calls();
  REQUIRE(calls.size() == 3);
  CHECK(calls[2].argv == docker::tag(f.reference, "app:local"));
  CHECK(calls[2].stderr_mode == os::Stderr::inherit);
}

TEST_CASE("image cache: a present image whose archive is missing has it written by the archive step", "[docker][cache]")
{
  CacheFixture f;
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), ok("sha256:img " + f.reference + " app:local\n"));
  client.on(docker::save(f.reference), ok("the image as a tar"));
  const auto result = f.ensure(client);
  REQUIRE(result);
  CHECK(result->source == docker::ImageSource::present);
  CHECK(result->archive_requested);
  CHECK(client.call_count() == 2); // no docker save in the image step
  CHECK(f.lines
        == std::vector<std::string>{f.reference
                                        + " is present but its archive is missing; it is written beside the steps that "
                                          "use it",
                                    f.reference + " present (tagged app:local)"});
  f.lines.clear();
  f.write_requested(client);
  CHECK(client.argvs().back() == docker::save(f.reference));
  CHECK(f.lines == std::vector<std::string>{"wrote " + f.archive + " (0.0 MiB)"});
  CHECK(archive_text(f.archive) == "the image as a tar");
  CHECK(test::files_in(f.job.cache_dir)
        == std::vector<std::string>{"app-" + f.key + ".tar.zst", "app.archive.lock", "app.inputs", "app.lock"});
}

TEST_CASE("image cache: an archive and no image: the archive is loaded", "[docker][cache]")
{
  CacheFixture f;
  f.write_archive("the image as a tar");
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), {exits(1), ok("sha256:img " + f.reference + "\n")});
  client.on(docker::load(), ok());
  client.on(docker::tag(f.reference, "app:local"), ok());
  const auto result = f.ensure(client);
  REQUIRE(result);
  CHECK(result->source == docker::ImageSource::loaded);
  const auto calls = client.calls();
  CHECK(client.argvs()
        == std::vector<Argv>{docker::inspect_images({"base:1"}), docker::inspect_images({f.reference}), docker::load(),
                             docker::inspect_images({f.reference}), docker::tag(f.reference, "app:local")});
  CHECK(calls[2].input == "the image as a tar"); // docker load got the plain tar
  CHECK(f.lines
        == std::vector<std::string>{"loading " + f.reference + " from " + f.archive,
                                    f.reference + " loaded (tagged app:local)"});
}

TEST_CASE("image cache: neither image nor archive: built and tagged; the archive step saves it", "[docker][cache]")
{
  CacheFixture f;
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), exits(1));
  client.on({"docker", "build"}, ok());
  client.on(docker::save(f.reference), ok("the image as a tar"));
  client.on(docker::tag(f.reference, "app:local"), ok());
  const auto result = f.ensure(client);
  REQUIRE(result);
  CHECK(result->source == docker::ImageSource::built);
  const auto calls = client.calls();
  CHECK(client.argvs()
        == std::vector<Argv>{docker::inspect_images({"base:1"}), docker::inspect_images({f.reference}), f.build_argv(),
                             docker::tag(f.reference, "app:local")});
  CHECK(calls[2].kind == test::Call::Kind::passthrough);
  CHECK(calls[2].cwd == f.job.context);
  CHECK(f.lines
        == std::vector<std::string>{"building " + f.reference + " (no image and no archive for this key)",
                                    f.reference + " built (tagged app:local)"});
  CHECK(result->archive_requested);
  CHECK_FALSE(fs::exists(f.archive)); // the steps that use the image need not wait for it
  CHECK(docker::last_key(f.job)->key == f.key);
  CHECK(test::read_text(docker::archive_request_path(f.job)) == f.key + "\n" + f.job.owner + "\n");
  f.lines.clear();
  f.write_requested(client);
  CHECK(client.argvs().back() == docker::save(f.reference));
  CHECK(f.lines == std::vector<std::string>{"wrote " + f.archive + " (0.0 MiB)"});
  CHECK(archive_text(f.archive) == "the image as a tar");
  CHECK_FALSE(fs::exists(docker::archive_request_path(f.job))); // taken
}

TEST_CASE("image cache: build arguments go by name, their values stay in the environment", "[docker][cache]")
{
  CacheFixture f;
  f.job.build_args = {{"TOKEN", "s3cret"}};
  test::FakeClient client;
  f.add_base(client);
  client.on({"docker", "image", "inspect"}, exits(1)); // whatever the key: absent
  client.on({"docker", "build"}, ok());
  client.on({"docker", "save"}, ok("tar"));
  client.on({"docker", "tag"}, ok());
  REQUIRE(f.ensure(client));
  const auto build = client.argvs().at(2);
  CHECK(std::find(build.begin(), build.end(), "TOKEN") != build.end());
  CHECK(std::find(build.begin(), build.end(), "s3cret") == build.end());
}

TEST_CASE("image cache: a failed archive write is a warning; the build goes on", "[docker][cache]")
{
  CacheFixture f;
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), exits(1));
  client.on({"docker", "build"}, ok());
  client.on(docker::tag(f.reference, "app:local"), ok());
  const auto result = f.ensure(client);
  REQUIRE(result);
  CHECK(result->source == docker::ImageSource::built);
  f.lines.clear();
  SECTION("docker save fails")
  {
    client.on(docker::save(f.reference), exits(1, "partial tar"));
    f.write_requested(client);
    CHECK(f.lines
          == std::vector<std::string>{"warning: could not write the archive " + f.archive
                                      + ": docker save exited with 1; the image is in the engine, so the build goes "
                                        "on"});
  }
  SECTION("docker save cannot run")
  {
    client.on(docker::save(f.reference), test::cannot_run("'docker' is not on PATH"));
    f.write_requested(client);
    CHECK(f.lines
          == std::vector<std::string>{"warning: could not write the archive " + f.archive
                                      + ": 'docker' is not on PATH; the image is in the engine, so the build goes on"});
  }
  // Nothing partial is left: the locks and the key's manifest.
  CHECK(test::files_in(f.job.cache_dir) == std::vector<std::string>{"app.archive.lock", "app.inputs", "app.lock"});
}

TEST_CASE("image cache: an archive that cannot be used is removed and the image built", "[docker][cache]")
{
  CacheFixture f;
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), exits(1));
  client.on({"docker", "build"}, ok());
  client.on(docker::save(f.reference), ok("rebuilt tar"));
  client.on(docker::tag(f.reference, "app:local"), ok());
  SECTION("corrupted")
  {
    fs::create_directories(f.job.cache_dir);
    std::ofstream(f.archive) << "not zstd";
    REQUIRE(f.ensure(client));
    REQUIRE(f.lines.size() == 4);
    CHECK(f.lines[1].starts_with("archive " + f.archive + ": the archive is corrupted ("));
    CHECK(f.lines[1].ends_with("); removed it"));
    const auto argvs = client.argvs();
    CHECK(std::find(argvs.begin(), argvs.end(), docker::load()) == argvs.end());
  }
  SECTION("docker load fails")
  {
    f.write_archive("tar");
    client.on(docker::load(), exits(1));
    REQUIRE(f.ensure(client));
    REQUIRE(f.lines.size() == 4);
    CHECK(f.lines[1]
          == "archive " + f.archive + " did not load " + f.reference + " (docker load exited with 1); removed it");
  }
  CHECK(f.lines[0] == "loading " + f.reference + " from " + f.archive);
  CHECK(f.lines[2] == "building " + f.reference + " (the archive could not be used)");
  f.write_requested(client);
  CHECK(archive_text(f.archive) == "rebuilt tar");
}

TEST_CASE("image cache: a failed build or tag is an error, and nothing after it runs", "[docker][cache]")
{
  CacheFixture f;
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), exits(1));
  SECTION("build")
  {
    client.on({"docker", "build"}, exits(2));
    const auto result = f.ensure(client);
    REQUIRE_FALSE(result);
    CHECK(result.error() == "docker build exited with 2");
    CHECK(client.call_count() == 3);
  }
  SECTION("tag")
  {
    client.on({"docker", "build"}, ok());
    client.on(docker::save(f.reference), ok("tar"));
    client.on(docker::tag(f.reference, "app:local"), exits(1));
    const auto result = f.ensure(client);
    REQUIRE_FALSE(result);
    CHECK(result.error() == "cannot tag " + f.reference + " as app:local");
    CHECK_FALSE(docker::last_key(f.job)); // no manifest for a run that failed
  }
}

TEST_CASE("image cache: no docker client: the error says why", "[docker][cache]")
{
  CacheFixture f;
  test::FakeClient client;
  client.on({"docker"}, test::cannot_run("'docker' is not on PATH"));
  const auto result = f.ensure(client);
  REQUIRE_FALSE(result);
  CHECK(result.error() == "'docker' is not on PATH");
  CHECK(client.call_count() == 1);
}

TEST_CASE("image cache: the warm path asks the engine once, for the image and its bases", "[docker][cache]")
{
  CacheFixture f;
  {
    test::FakeClient cold;
    f.add_base(cold);
    cold.on(docker::inspect_images({f.reference}), ok("sha256:img " + f.reference + " app:local\n"));
    cold.on(docker::save(f.reference), ok("tar"));
    REQUIRE(f.ensure(cold)); // records the key
    f.write_requested(cold); // and writes the archive
  }
  f.lines.clear();
  SECTION("the bases kept their ids")
  {
    test::FakeClient warm;
    warm.on(docker::inspect_images({f.reference, "base:1"}),
            ok("sha256:img " + f.reference + " app:local\nsha256:base base:1\n"));
    const auto result = f.ensure(warm);
    REQUIRE(result);
    CHECK(result->source == docker::ImageSource::present);
    CHECK(warm.call_count() == 1);
    CHECK(f.lines == std::vector<std::string>{f.reference + " present (tagged app:local)"});
  }
  SECTION("a base moved: the key is computed again and differs")
  {
    test::FakeClient warm;
    warm.on(docker::inspect_images({f.reference, "base:1"}),
            ok("sha256:img " + f.reference + "\nsha256:moved base:1\n"));
    warm.on(docker::inspect_images({"base:1"}), ok("sha256:moved base:1\n"));
    warm.on({"docker", "image", "inspect"}, exits(1)); // the new key's image: absent
    warm.on({"docker", "build"}, ok());
    warm.on({"docker", "save"}, ok("tar"));
    warm.on({"docker", "tag"}, ok());
    const auto result = f.ensure(warm);
    REQUIRE(result);
    CHECK(result->source == docker::ImageSource::built);
    CHECK(result->reference != f.reference);
    CHECK(warm.argvs().at(1) == docker::inspect_images({"base:1"}));
  }
}

TEST_CASE("image cache: a second run of the same image waits for the first", "[docker][cache]")
{
  CacheFixture f;
  f.write_archive("tar");
  fs::create_directories(f.job.cache_dir);
  const std::string lock_path = (fs::path(f.job.cache_dir) / "app.lock").string();
  int held = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX) == 0); // "another run" is making the image
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), ok("sha256:img " + f.reference + " app:local\n"));
  std::size_t calls_while_held = 99;
  std::thread releaser;
  const auto result = docker::ensure_image(client, f.job, [&](const std::string& line) {
    f.lines.push_back(line);
    if (line.starts_with("waiting for")) {
      // Logged just before the cache blocks on the lock: let go a little later.
      releaser = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        calls_while_held = client.call_count();
        ::close(held);
      });
    }
  });
  if (releaser.joinable()) {
    releaser.join();
  } else {
    ::close(held);
  }
  REQUIRE(result);
  CHECK(calls_while_held == 0); // nothing asked of the engine until the lock was free
  CHECK(f.lines
        == std::vector<std::string>{"waiting for another run that is making app",
                                    f.reference + " present (tagged app:local)"});
}

namespace {

// Holds a lock file of the cache as another run would.
struct HeldLock {
  int fd;
  explicit HeldLock(const std::string& path) : fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644))
  {
    REQUIRE(fd >= 0);
    REQUIRE(::flock(fd, LOCK_EX) == 0);
  }
  ~HeldLock() { release(); }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  void release()
  {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
  }
};

} // namespace

TEST_CASE("archive step: an archive another run wrote meanwhile is not written again", "[docker][cache]")
{
  CacheFixture f;
  REQUIRE(docker::request_archive(f.job, f.key));
  f.write_archive("the other run's");
  test::FakeClient client;
  f.write_requested(client);
  CHECK(client.call_count() == 0);
  CHECK(f.lines == std::vector<std::string>{f.archive + " was written by another run meanwhile"});
  CHECK(archive_text(f.archive) == "the other run's");
  CHECK_FALSE(fs::exists(docker::archive_request_path(f.job)));
}

TEST_CASE("archive step: a run writing an archive of the same image is waited for", "[docker][cache]")
{
  CacheFixture f;
  REQUIRE(docker::request_archive(f.job, f.key));
  HeldLock held(docker::archive_lock_path(f.job));
  test::FakeClient client;
  std::thread other;
  docker::write_requested_archive(client, f.job, [&](const std::string& line) {
    f.lines.push_back(line);
    if (line.starts_with("waiting for")) {
      other = std::thread([&] { // the other run renames its archive into place, then lets go
        f.write_archive("the other run's");
        held.release();
      });
    }
  });
  if (other.joinable()) {
    other.join();
  }
  CHECK(client.call_count() == 0);
  CHECK(f.lines
        == std::vector<std::string>{"waiting for another run that is writing an archive of app",
                                    f.archive + " was written by another run meanwhile"});
}

TEST_CASE("archive step: pruning waits for no run that is making the image", "[docker][cache]")
{
  CacheFixture f;
  f.job.keep = 1;
  const std::string old = docker::archive_path(f.job.cache_dir, "app", std::string(32, 'b'));
  fs::create_directories(f.job.cache_dir);
  std::ofstream(old) << "an older key's";
  REQUIRE(docker::request_archive(f.job, f.key));
  test::FakeClient client;
  client.on(docker::save(f.reference), ok("tar"));
  SECTION("the image lock is free: pruned")
  {
    f.write_requested(client);
    CHECK(f.lines == std::vector<std::string>{"wrote " + f.archive + " (0.0 MiB)", "pruned " + old});
    CHECK_FALSE(fs::exists(old));
  }
  SECTION("another run holds it: left for later")
  {
    const HeldLock held(docker::image_lock_path(f.job));
    f.write_requested(client);
    CHECK(f.lines
          == std::vector<std::string>{"wrote " + f.archive + " (0.0 MiB)", "old archives of app not pruned: another "
                                                                           "run is making the image"});
    CHECK(fs::exists(old));
  }
}

TEST_CASE("image cache: the requests of runs that are gone are removed, a live run's kept", "[docker][cache]")
{
  CacheFixture f;
  auto gone = f.job;
  gone.run_id = "gone";
  gone.owner = "999999999:5";
  REQUIRE(docker::request_archive(gone, f.key));
  auto live = f.job;
  live.run_id = "live";
  REQUIRE(docker::request_archive(live, f.key));
  f.write_archive("tar");
  test::FakeClient client;
  f.add_base(client);
  client.on(docker::inspect_images({f.reference}), ok("sha256:img " + f.reference + " app:local\n"));
  REQUIRE(f.ensure(client));
  CHECK_FALSE(fs::exists(docker::archive_request_path(gone)));
  CHECK(fs::exists(docker::archive_request_path(live)));
}
