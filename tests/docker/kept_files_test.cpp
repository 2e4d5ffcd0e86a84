// The container side of caches and the workspace, against a fake docker
// client: what is run where, what is stored (compressed) and what is fed
// back, and that a failure leaves nothing behind.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "docker/archive.hpp"
#include "docker/cache_store.hpp"
#include "docker/commands.hpp"
#include "docker/fake_client.hpp"
#include "docker/kept_files.hpp"
#include "test_support.hpp"
#include "util/file.hpp"

using namespace drydock;
using test::exits;
using test::ok;
namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
using Lines = std::vector<std::string>;
using namespace std::string_literals;

namespace {

struct TempDir {
  fs::path path;
  TempDir()
  {
    std::string pattern = (fs::path(util::temp_dir()) / "drydock-kept-files-test.XXXXXX").string();
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

// What is in the folder, sorted; nothing when it is not there.
Lines names_in(const fs::path& dir) { return fs::exists(dir) ? test::files_in(dir) : Lines{}; }

std::string plain_bytes(const std::string& archive)
{
  std::string out;
  const auto read = docker::read_archive(archive, [&out](std::string_view chunk) -> tl::expected<void, std::string> {
    out += chunk;
    return {};
  });
  REQUIRE(read);
  return out;
}

void write_archive(const std::string& path, const std::string& data)
{
  docker::ArchiveWriter writer;
  REQUIRE(writer.open(path, 3));
  REQUIRE(writer.write(data));
  REQUIRE(writer.commit());
}

std::string file_name(const std::string& path) { return fs::path(path).filename().string(); }

const docker::FilesPlace kInJob{"j1", "~/project"};
const docker::FilesPlace kHere{"", "/src"};

// A tar's bytes, of any kind: the code only stores them.
const std::string kTar = "ustar\0tar-bytes\n"s + std::string(3000, 'x');

} // namespace

// ---- checksums ----

TEST_CASE("checksum_of reads the file where it is and hashes what comes out", "[docker][kept]")
{
  test::FakeClient client;
  client.on(docker::read_file_in("j1", "~/project", "package-lock.json"), ok("hello world"));
  const auto sum = docker::checksum_of(client, kInJob, "package-lock.json");
  REQUIRE(sum);
  CHECK(*sum == "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
  REQUIRE(client.call_count() == 1);
  const auto argv = client.argvs().front();
  CHECK(Argv(argv.begin(), argv.begin() + 4) == Argv{"docker", "exec", "--", "j1"});
  CHECK(argv.back() == "package-lock.json");
}

TEST_CASE("checksum_of a file that cannot be read is an error", "[docker][kept]")
{
  test::FakeClient client;
  client.on(docker::read_file_in("", "/src", "nope"), exits(1));
  const auto sum = docker::checksum_of(client, kHere, "nope");
  REQUIRE_FALSE(sum);
  CHECK(sum.error() == "it cannot be read");
  CHECK(client.argvs().front().front() == "sh"); // this machine: no docker

  test::FakeClient broken;
  broken.on(docker::read_file_in("", "/src", "f"), test::cannot_run("no sh here"));
  CHECK(docker::checksum_of(broken, kHere, "f").error() == "no sh here");
}

// ---- save_cache ----

TEST_CASE("save_cache writes the key file and an archive of what tar gave", "[docker][kept]")
{
  TempDir dir;
  const std::string caches = (dir.path / "caches").string();
  const Argv paths{"node_modules", "~/.npm"};
  test::FakeClient client;
  client.on(docker::tar_cache_paths("j1", "~/project", paths), ok(kTar));

  const auto saved = docker::save_cache(client, kInJob, paths, caches, "v1-abc");
  REQUIRE(saved);
  CHECK(saved->saved);
  const auto archive = docker::cache_archive_path(caches, "v1-abc");
  CHECK(saved->bytes == fs::file_size(archive));
  CHECK(saved->bytes < kTar.size()); // compressed
  CHECK(names_in(caches) == Lines{file_name(archive.substr(0, archive.size() - 8) + ".key"), file_name(archive)});
  CHECK(test::read_text(docker::cache_key_path(caches, "v1-abc")) == "v1-abc");
  CHECK(plain_bytes(archive) == kTar);
  CHECK(docker::cache_exists(caches, "v1-abc"));

  REQUIRE(client.call_count() == 1);
  const auto call = client.calls().front();
  CHECK(call.kind == test::Call::Kind::stdout_to);
  CHECK(call.argv == docker::tar_cache_paths("j1", "~/project", paths));
  CHECK(Argv(call.argv.begin(), call.argv.begin() + 5) == Argv{"docker", "exec", "--", "j1", "sh"});
  CHECK(Argv(call.argv.end() - 2, call.argv.end()) == paths);
}

TEST_CASE("save_cache on this machine runs tar here", "[docker][kept]")
{
  TempDir dir;
  test::FakeClient client;
  client.on(docker::tar_cache_paths("", "/src", {"build"}), ok("tar"));
  const auto saved = docker::save_cache(client, kHere, {"build"}, dir.str(), "k");
  REQUIRE(saved);
  CHECK(saved->saved);
  CHECK(client.argvs().front().front() == "sh");
  CHECK(plain_bytes(docker::cache_archive_path(dir.str(), "k")) == "tar");
}

TEST_CASE("save_cache when no path exists (exit 3): nothing saved, no file left", "[docker][kept]")
{
  TempDir dir;
  const std::string caches = (dir.path / "caches").string();
  test::FakeClient client;
  client.on(docker::tar_cache_paths("j1", "~/project", {"none"}), exits(3));
  const auto saved = docker::save_cache(client, kInJob, {"none"}, caches, "k");
  REQUIRE(saved);
  CHECK_FALSE(saved->saved);
  CHECK(saved->bytes == 0);
  CHECK(names_in(caches).empty());
  CHECK_FALSE(docker::cache_exists(caches, "k"));
}

TEST_CASE("save_cache when tar fails: an error, and no partial or temporary file", "[docker][kept]")
{
  TempDir dir;
  const std::string caches = dir.str();
  SECTION("it exits 2 after some output")
  {
    test::FakeClient client;
    client.on(docker::tar_cache_paths("j1", "~/project", {"a"}), exits(2, kTar));
    const auto saved = docker::save_cache(client, kInJob, {"a"}, caches, "k");
    REQUIRE_FALSE(saved);
    CHECK(saved.error() == "tar exited with 2");
  }
  SECTION("it cannot run")
  {
    test::FakeClient client;
    client.on(docker::tar_cache_paths("j1", "~/project", {"a"}), test::cannot_run("docker: not found"));
    const auto saved = docker::save_cache(client, kInJob, {"a"}, caches, "k");
    REQUIRE_FALSE(saved);
    CHECK(saved.error() == "docker: not found");
  }
  CHECK(names_in(caches).empty());
  CHECK_FALSE(docker::find_cache(caches, "k"));
}

// ---- restore_cache ----

TEST_CASE("restore_cache feeds the archive's plain bytes to tar -x in the container", "[docker][kept]")
{
  TempDir dir;
  const std::string caches = dir.str();
  write_archive(docker::cache_archive_path(caches, "v1-x"), kTar);
  REQUIRE(docker::write_cache_key(caches, "v1-x"));
  const auto found = docker::find_cache(caches, "v1-");
  REQUIRE(found);

  test::FakeClient client;
  client.on(docker::untar_cache("j1"), ok());
  REQUIRE(docker::restore_cache(client, kInJob, *found));
  REQUIRE(client.call_count() == 1);
  const auto call = client.calls().front();
  CHECK(call.kind == test::Call::Kind::stdin_from);
  CHECK(call.argv == Argv{"docker", "exec", "-i", "--", "j1", "sh", "-c", "cd / && exec tar -xf -"});
  CHECK(call.input == kTar);
}

TEST_CASE("restore_cache: a tar that fails, or an archive that is not there, "
          "is an error",
          "[docker][kept]")
{
  TempDir dir;
  const std::string archive = (dir.path / "a.tar.zst").string();
  write_archive(archive, "bytes");
  const docker::FoundCache found{"k", archive, true, 1};

  test::FakeClient failing;
  failing.on(docker::untar_cache(""), exits(2));
  const auto restored = docker::restore_cache(failing, kHere, found);
  REQUIRE_FALSE(restored);
  CHECK(restored.error() == "tar exited with 2");
  CHECK(failing.calls().front().argv == Argv{"sh", "-c", "cd / && exec tar -xf -"});
  CHECK(failing.calls().front().input == "bytes");

  test::FakeClient unused;
  const docker::FoundCache gone{"k", (dir.path / "gone.tar.zst").string(), true, 1};
  CHECK_FALSE(docker::restore_cache(unused, kHere, gone));
  CHECK(unused.call_count() == 0);
}

// ---- the workspace ----

TEST_CASE("persist_layer writes layers 1, 2, ... with the files find listed", "[docker][kept]")
{
  TempDir dir;
  const std::string layers = (dir.path / "w" / "build").string();
  test::FakeClient client;
  const Argv first_paths{"dist", "*.txt"};
  client.on(docker::tar_workspace_paths("j1", "~/project", "out", first_paths, true),
            ok("./dist/app.js\0./dist/lib/x.js\0./notes.txt\0"s));
  client.on(docker::tar_workspace_paths("j1", "~/project", "out", first_paths, false), ok("tar one"));
  client.on(docker::tar_workspace_paths("j1", "~/project", "/tmp/r", {"report"}, true), ok("./report\0"s));
  client.on(docker::tar_workspace_paths("j1", "~/project", "/tmp/r", {"report"}, false), ok("tar two"));

  const auto one = docker::persist_layer(client, kInJob, "out", first_paths, layers);
  REQUIRE(one);
  CHECK(*one == Lines{"dist/app.js", "dist/lib/x.js", "notes.txt"});
  CHECK(names_in(layers) == Lines{"1.list", "1.tar.zst"});
  CHECK(test::read_text(fs::path(layers) / "1.list") == "dist/app.js\0dist/lib/x.js\0notes.txt\0"s);
  CHECK(plain_bytes((fs::path(layers) / "1.tar.zst").string()) == "tar one");

  const auto two = docker::persist_layer(client, kInJob, "/tmp/r", {"report"}, layers);
  REQUIRE(two);
  CHECK(*two == Lines{"report"});
  CHECK(names_in(layers) == Lines{"1.list", "1.tar.zst", "2.list", "2.tar.zst"});
  CHECK(plain_bytes((fs::path(layers) / "2.tar.zst").string()) == "tar two");

  const auto calls = client.calls();
  REQUIRE(calls.size() == 4);
  CHECK(calls[0].kind == test::Call::Kind::capture); // the list first
  CHECK(calls[1].kind == test::Call::Kind::stdout_to);
  CHECK(calls[1].argv == docker::tar_workspace_paths("j1", "~/project", "out", first_paths, false));

  const auto in = docker::layers_in(layers);
  REQUIRE(in.size() == 2);
  CHECK(in[0].archive == (fs::path(layers) / "1.tar.zst").string());
  CHECK(in[0].files == Lines{"dist/app.js", "dist/lib/x.js", "notes.txt"});
  CHECK(in[1].archive == (fs::path(layers) / "2.tar.zst").string());
  CHECK(in[1].files == Lines{"report"});
}

TEST_CASE("persist_layer when nothing matched writes no layer", "[docker][kept]")
{
  TempDir dir;
  const std::string layers = (dir.path / "job").string();
  test::FakeClient client;
  client.on(docker::tar_workspace_paths("", "/src", ".", {"nothing*"}, true), exits(3));
  const auto files = docker::persist_layer(client, kHere, ".", {"nothing*"}, layers);
  REQUIRE(files);
  CHECK(files->empty());
  CHECK(names_in(layers).empty());
  CHECK(client.call_count() == 1); // no tar
  CHECK(client.argvs().front().front() == "sh");
  CHECK(docker::layers_in(layers).empty());
}

TEST_CASE("persist_layer: a root that cannot be read, or a tar that fails, is "
          "an error and leaves nothing",
          "[docker][kept]")
{
  TempDir dir;
  const std::string layers = dir.str();
  SECTION("the listing exits 4")
  {
    test::FakeClient client;
    client.on(docker::tar_workspace_paths("j1", "~/project", "gone", {"a", "b"}, true), exits(4));
    const auto files = docker::persist_layer(client, kInJob, "gone", {"a", "b"}, layers);
    REQUIRE_FALSE(files);
    CHECK(files.error() == "cannot read a, b under gone (exit 4)");
    CHECK(client.call_count() == 1);
  }
  SECTION("the tar exits 2")
  {
    test::FakeClient client;
    client.on(docker::tar_workspace_paths("j1", "~/project", "r", {"a"}, true), ok("./a\0"s));
    client.on(docker::tar_workspace_paths("j1", "~/project", "r", {"a"}, false), exits(2, "half a tar"));
    const auto files = docker::persist_layer(client, kInJob, "r", {"a"}, layers);
    REQUIRE_FALSE(files);
    CHECK(files.error() == "tar exited with 2");
  }
  CHECK(names_in(layers).empty());
}

TEST_CASE("layers_in takes N.tar.zst only, in numeric order", "[docker][kept]")
{
  TempDir dir;
  const auto at = [&](const std::string& name) { return (dir.path / name).string(); };
  for (const auto* number : {"10", "2", "1"}) {
    write_archive(at(std::string(number) + ".tar.zst"), number);
    std::ofstream(at(std::string(number) + ".list"), std::ios::binary) << "f" << number << '\0';
  }
  std::ofstream(at("01.tar.zst")) << "x";
  std::ofstream(at("0.tar.zst")) << "x";
  std::ofstream(at("3.list")) << "lonely\0"s;
  std::ofstream(at("x.tar.zst")) << "x";
  std::ofstream(at("4.tar.zst.tmp")) << "x";
  std::ofstream(at(".5.tar.zst.partial-1-00")) << "x";

  const auto layers = docker::layers_in(dir.str());
  Lines archives;
  std::vector<Lines> files;
  for (const auto& layer : layers) {
    archives.push_back(file_name(layer.archive));
    files.push_back(layer.files);
  }
  CHECK(archives == Lines{"1.tar.zst", "2.tar.zst", "10.tar.zst"});
  CHECK(files == std::vector<Lines>{{"f1"}, {"f2"}, {"f10"}});
  CHECK(docker::layers_in(at("none")).empty());
}

TEST_CASE("workspace_conflict: one file from two jobs neither of which "
          "requires the other",
          "[docker][kept]")
{
  const auto layer = [](const std::string& job, Lines files) {
    return docker::LayerFiles{"/ws/" + job + "/1.tar.zst", std::move(files)};
  };
  const std::vector<std::vector<docker::LayerFiles>> jobs{{layer("a", {"bin/tool", "a.txt"})},
                                                          {layer("b", {"b.txt", "bin/tool"})}};
  SECTION("unordered: the conflict, in words")
  {
    const std::vector<pipeline::WorkspaceLayer> layers{{"a", "/ws/a", {}}, {"b", "/ws/b", {}}};
    CHECK(docker::workspace_conflict(layers, jobs)
          == std::optional<std::string>("bin/tool was persisted by 'a' and by "
                                        "'b', and neither requires the other"));
  }
  SECTION("b after a: b's copy wins, no conflict")
  {
    const std::vector<pipeline::WorkspaceLayer> layers{{"a", "/ws/a", {}}, {"b", "/ws/b", {"a"}}};
    CHECK_FALSE(docker::workspace_conflict(layers, jobs));
  }
  SECTION("a after b: no conflict either")
  {
    const std::vector<pipeline::WorkspaceLayer> layers{{"a", "/ws/a", {"b"}}, {"b", "/ws/b", {}}};
    CHECK_FALSE(docker::workspace_conflict(layers, jobs));
  }
  SECTION("no file in common")
  {
    const std::vector<pipeline::WorkspaceLayer> layers{{"a", "/ws/a", {}}, {"b", "/ws/b", {}}};
    CHECK_FALSE(docker::workspace_conflict(layers, {{layer("a", {"a.txt"})}, {layer("b", {"b.txt"})}}));
  }
}

TEST_CASE("workspace_conflict: a job that persisted a file twice is no conflict", "[docker][kept]")
{
  const std::vector<pipeline::WorkspaceLayer> layers{{"a", "/ws/a", {}}, {"c", "/ws/c", {}}};
  const std::vector<std::vector<docker::LayerFiles>> jobs{{{"/ws/a/1.tar.zst", {"out/x", "out/y"}},
                                                           {"/ws/a/2.tar.zst", {"out/x"}}},
                                                          {{"/ws/c/1.tar.zst", {"c"}}}};
  CHECK_FALSE(docker::workspace_conflict(layers, jobs));
  // With a third job unordered to a writing it too, it is one again, naming the
  // jobs in order.
  const std::vector<pipeline::WorkspaceLayer> three{{"a", "/ws/a", {}}, {"c", "/ws/c", {}}, {"d", "/ws/d", {"c"}}};
  auto more = jobs;
  more.push_back({{"/ws/d/1.tar.zst", {"out/x"}}});
  CHECK(docker::workspace_conflict(three, more)
        == std::optional<std::string>("out/x was persisted by 'a' and by 'd', and "
                                      "neither requires the other"));
}

TEST_CASE("unpack_layer feeds the layer to tar -x at `at`, made when missing", "[docker][kept]")
{
  TempDir dir;
  const std::string archive = (dir.path / "1.tar.zst").string();
  write_archive(archive, kTar);
  test::FakeClient client;
  client.on(docker::untar_workspace("j1", "~/project", "/tmp/ws"), ok());
  REQUIRE(docker::unpack_layer(client, kInJob, "/tmp/ws", archive));
  REQUIRE(client.call_count() == 1);
  const auto call = client.calls().front();
  CHECK(call.kind == test::Call::Kind::stdin_from);
  CHECK(Argv(call.argv.begin(), call.argv.begin() + 6) == Argv{"docker", "exec", "-i", "--", "j1", "sh"});
  CHECK(Argv(call.argv.end() - 3, call.argv.end()) == Argv{"drydock", "~/project", "/tmp/ws"});
  CHECK(call.input == kTar);

  test::FakeClient failing;
  failing.on(docker::untar_workspace("", "/src", "ws"), exits(1));
  const auto unpacked = docker::unpack_layer(failing, kHere, "ws", archive);
  REQUIRE_FALSE(unpacked);
  CHECK(unpacked.error() == "tar exited with 1");
}
