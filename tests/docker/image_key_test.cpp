#include <catch2/catch.hpp>

#include "docker/image_key.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

TEST_CASE("base images: FROM lines, without stages, scratch or flags", "[docker][key]")
{
  CHECK(docker::base_images("FROM python:3.5\nADD . /code\n", {}) == Strings{"python:3.5"});
  CHECK(docker::base_images("# syntax\nfrom --platform=linux/amd64 golang:1.22 AS build\nRUN go build\n"
                            "FROM scratch\nCOPY --from=build /app /app\nFROM build AS again\nFROM debian:12\n",
                            {})
        == Strings{"golang:1.22", "debian:12"});
  CHECK(docker::base_images("FROM \\\n  alpine:3\n", {}) == Strings{"alpine:3"});
  // A last line continued onto the file's final newline still counts;
  // CRLF line ends and an empty Dockerfile are read as before.
  CHECK(docker::base_images("FROM alpine:3 \\\n", {}) == Strings{"alpine:3"});
  CHECK(docker::base_images("FROM alpine:3\r\nRUN true\r\n", {}) == Strings{"alpine:3"});
  CHECK(docker::base_images("", {}).empty());
}

TEST_CASE("base images: ARGs before the first FROM, overridden by build args", "[docker][key]")
{
  const std::string dockerfile = "ARG PY=3.11\nARG FLAVOUR\nFROM python:${PY}-$FLAVOUR\nARG LATE=x\nFROM other:$LATE\n";
  CHECK(docker::base_images(dockerfile, {}) == Strings{"python:3.11-", "other:"});
  CHECK(docker::base_images(dockerfile, {{"PY", "3.12"}, {"FLAVOUR", "slim"}})
        == Strings{"python:3.12-slim", "other:"});
}

TEST_CASE("the key depends on every input but not on their order", "[docker][key]")
{
  const docker::KeyInput dockerfile{"dockerfile", "Dockerfile", "aa"};
  const docker::KeyInput requirements{"file", "requirements/base.txt", "bb"};
  const auto key = docker::make_key({dockerfile, requirements});
  CHECK(key.key.size() == 32);
  CHECK(docker::make_key({requirements, dockerfile}).key == key.key);
  CHECK(docker::make_key({dockerfile, {"file", "requirements/base.txt", "bc"}}).key != key.key);
  CHECK(docker::make_key({dockerfile, {"file", "requirements/other.txt", "bb"}}).key != key.key);
  CHECK(docker::make_key({dockerfile}).key != key.key);
  CHECK(key.inputs.front().kind == "dockerfile"); // sorted by kind, then name
}

TEST_CASE("hashes are XXH3-128 in hex", "[docker][key]")
{
  CHECK(docker::hash_text("") == "99aa06d3014798d86001c324468d497f");
  CHECK(docker::hash_text("a") != docker::hash_text("b"));
}

TEST_CASE("the manifest round-trips and a broken one is refused", "[docker][key]")
{
  const auto key = docker::make_key({{"dockerfile", "Dockerfile", "aa"}, {"base-image", "debian:12", "sha256:1"}});
  const auto parsed = docker::parse_manifest(docker::manifest_text(key));
  REQUIRE(parsed);
  CHECK(parsed->key == key.key);
  CHECK(parsed->inputs == key.inputs);
  CHECK(docker::parse_manifest("nonsense\n").error() == "line 1: expected 'key KEY'");
  CHECK(docker::parse_manifest("key abc\nfile only-two\n").error() == "line 2: expected KIND<tab>NAME<tab>HASH");
}

TEST_CASE("comparing keys names what changed, appeared and went", "[docker][key]")
{
  const auto before = docker::make_key({{"file", "a.txt", "1"}, {"file", "b.txt", "2"}, {"file", "gone.txt", "3"}});
  const auto after = docker::make_key({{"file", "a.txt", "1"}, {"file", "b.txt", "9"}, {"file", "new.txt", "4"}});
  Strings described;
  for (const auto& change : docker::compare_inputs(before, after)) {
    static const char* kNames[] = {"same", "changed", "added", "removed"};
    described.push_back(change.input.name + " " + kNames[static_cast<int>(change.kind)] + " " + change.was);
  }
  CHECK(described == Strings{"a.txt same ", "b.txt changed 2", "new.txt added ", "gone.txt removed "});
}
