#include <catch2/catch.hpp>

#include "publish/tags.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

namespace {

Strings lines(const std::vector<std::string>& images, const publish::TagOptions& options, bool verbose = false)
{
  const auto plan = publish::plan_tags(images, options);
  REQUIRE(plan);
  return publish::dry_run_lines(*plan, "docker", verbose);
}

Strings semver(const std::string& version, int precision = 1, bool zero = false)
{
  const auto versions = publish::semver_versions(version, precision, zero);
  REQUIRE(versions);
  return *versions;
}

} // namespace

TEST_CASE("DCD's README example: 8 tags, then 8 pushes in the same order", "[publish]")
{
  publish::TagOptions options;
  options.version = "2.7.13";
  options.semver = true;
  options.latest = true;
  options.registry = "registry:5000";
  CHECK(lines({"praekeltorg/alpine-python", "praekeltorg/alpine-python:onbuild"}, options)
        == Strings{
            "docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:2.7.13",
            "docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:2.7",
            "docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:2",
            "docker tag praekeltorg/alpine-python registry:5000/praekeltorg/alpine-python:latest",
            "docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:2.7.13-onbuild",
            "docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:2.7-onbuild",
            "docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:2-onbuild",
            "docker tag praekeltorg/alpine-python:onbuild registry:5000/praekeltorg/alpine-python:onbuild",
            "docker push registry:5000/praekeltorg/alpine-python:2.7.13",
            "docker push registry:5000/praekeltorg/alpine-python:2.7",
            "docker push registry:5000/praekeltorg/alpine-python:2",
            "docker push registry:5000/praekeltorg/alpine-python:latest",
            "docker push registry:5000/praekeltorg/alpine-python:2.7.13-onbuild",
            "docker push registry:5000/praekeltorg/alpine-python:2.7-onbuild",
            "docker push registry:5000/praekeltorg/alpine-python:2-onbuild",
            "docker push registry:5000/praekeltorg/alpine-python:onbuild",
        });
}

TEST_CASE("semver versions split as DCD splits them", "[publish]")
{
  CHECK(semver("1.2.3") == Strings{"1.2.3", "1.2", "1"});
  CHECK(semver("1.2.3-alpine") == Strings{"1.2.3-alpine", "1.2.3", "1.2", "1"});
  CHECK(semver("1.2.3-alpine", 2) == Strings{"1.2.3-alpine", "1.2.3", "1.2"});
  CHECK(semver("0.0.1") == Strings{"0.0.1", "0.0"});
  CHECK(semver("0.2") == Strings{"0.2"});
  CHECK(semver("0.2", 1, true) == Strings{"0.2", "0"});
  CHECK(semver("v1.2.3") == Strings{"v1.2.3", "v1.2", "v1"});
  CHECK(semver("2018-12-14") == Strings{"2018-12-14", "2018-12", "2018"});
  CHECK(semver("1.2.3-rc.1") == Strings{"1.2.3-rc.1", "1.2.3-rc", "1.2.3", "1.2", "1"});
  CHECK(semver("1.2.3", 0) == Strings{"1.2.3", "1.2", "1"}); // -P 0 counts as 1
  CHECK(publish::semver_versions("1.2", 3, false).error()
        == "the minimum precision (3) is greater than the precision of version '1.2' (2)");
}

TEST_CASE("version tags: existing versions stripped, latest appended", "[publish]")
{
  const Strings versions{"1.2.3", "1.2", "1"};
  CHECK(publish::version_tags(std::nullopt, versions, false) == versions);
  CHECK(publish::version_tags("alpine", versions, true) == Strings{"1.2.3-alpine", "1.2-alpine", "1-alpine", "alpine"});
  CHECK(publish::version_tags("1.2-alpine", versions, false) == Strings{"1.2.3-alpine", "1.2-alpine", "1-alpine"});
  CHECK(publish::version_tags("1.2.3", versions, true) == Strings{"1.2.3", "1.2", "1", "latest"});
  // DCD's documented edge case: --tag latest without -L gives only versions.
  CHECK(publish::version_tags("latest", {"1.0"}, false) == Strings{"1.0"});
}

TEST_CASE("the registry is prepended, or replaces a host with a port", "[publish]")
{
  CHECK(publish::with_registry("praekeltorg/alpine-python", "registry:5000")
        == "registry:5000/praekeltorg/alpine-python");
  CHECK(publish::with_registry("registry:5000/bar", "registry2:5000") == "registry2:5000/bar");
  CHECK(publish::with_registry("alpine", "127.0.0.1:5000") == "127.0.0.1:5000/alpine");
}

TEST_CASE("DCD's bugs fixed: --tag with several images tags them all", "[publish]")
{
  publish::TagOptions options;
  options.tags = {"abc"};
  CHECK(lines({"img1", "img2"}, options)
        == Strings{"docker tag img1 img1:abc", "docker tag img2 img2:abc", "docker push img1:abc",
                   "docker push img2:abc"});
}

TEST_CASE("DCD's bugs fixed: build metadata is dropped with a note, never a hang", "[publish]")
{
  publish::TagOptions options;
  options.version = "1.2.3+build.5";
  options.semver = true;
  const auto plan = publish::plan_tags({"img"}, options);
  REQUIRE(plan);
  CHECK(plan->pushes == Strings{"img:1.2.3", "img:1.2", "img:1"});
  CHECK(plan->notes
        == Strings{"dropped the build metadata '+build.5' from version '1.2.3+build.5': docker tags cannot hold '+'"});
}

TEST_CASE("self-tags are skipped but still pushed; -v explains each command", "[publish]")
{
  publish::TagOptions options;
  CHECK(lines({"img:1"}, options, true)
        == Strings{"Not tagging \"img:1\" as itself", "Pushing tag \"img:1\"...", "docker push img:1"});
  options.tags = {"2"};
  CHECK(lines({"img:1"}, options, true)
        == Strings{"Tagging \"img:1\" as \"img:2\"...", "docker tag img:1 img:2", "Pushing tag \"img:2\"...",
                   "docker push img:2"});
}

TEST_CASE("option errors are DCD's usage messages", "[publish]")
{
  publish::TagOptions options;
  options.latest = true;
  CHECK(publish::check_options(options).error() == "the --version-latest option requires --version");
  options = {};
  options.semver = true;
  options.version = "";
  CHECK(publish::check_options(options).error() == "the --version-semver option requires --version");
  options = {};
  options.precision = 2;
  CHECK(publish::check_options(options).error() == "the --semver-precision option requires --version-semver");
  options = {};
  options.zero = true;
  CHECK(publish::check_options(options).error() == "the --semver-zero option requires --version-semver");
  CHECK(publish::plan_tags({"Not A Ref"}, {}).error() == "unable to parse image tag 'Not A Ref'");
  options = {};
  options.version = "1.0/x";
  CHECK(publish::plan_tags({"img"}, options).error() == "'1.0/x' is not a valid docker tag");
}

TEST_CASE("a publish entry tags the cache's local image under the repository's name", "[publish]")
{
  publish::TagOptions options;
  options.version = "1.4.0";
  options.semver = true;
  options.latest = true;
  options.registry = "127.0.0.1:5000";
  const auto plan = publish::plan_tags_from("org/app:abc123", "org/app", options);
  REQUIRE(plan);
  CHECK(publish::dry_run_lines(*plan, "docker", false)
        == Strings{"docker tag org/app:abc123 127.0.0.1:5000/org/app:1.4.0",
                   "docker tag org/app:abc123 127.0.0.1:5000/org/app:1.4",
                   "docker tag org/app:abc123 127.0.0.1:5000/org/app:1",
                   "docker tag org/app:abc123 127.0.0.1:5000/org/app:latest",
                   "docker push 127.0.0.1:5000/org/app:1.4.0", "docker push 127.0.0.1:5000/org/app:1.4",
                   "docker push 127.0.0.1:5000/org/app:1", "docker push 127.0.0.1:5000/org/app:latest"});
}

TEST_CASE("hostile 100 KB names, tags and versions: an answer, never a crash", "[publish][regex]")
{
  const std::string name = std::string(100 * 1024, 'a');
  const std::string dashed = "a" + std::string(100 * 1024, '-') + "a";
  CHECK(publish::valid_name(name));
  CHECK(publish::valid_name(dashed));
  CHECK_FALSE(publish::valid_name(dashed + "-"));
  CHECK(publish::split_image_tag(name + ":v1").value().name == name);
  CHECK(publish::split_image_tag(name + "/" + name + ":v1").value().tag == "v1");
  CHECK_FALSE(publish::split_image_tag(name + ":" + name)); // a tag is at most 128 characters
  CHECK(publish::with_registry(name, "registry.example.com:5000") == "registry.example.com:5000/" + name);
  const std::string long_version = std::string(100 * 1024, '1');
  CHECK(publish::semver_versions(long_version, 1, false).value() == Strings{long_version});
  publish::TagOptions options;
  options.tags = {std::string(100 * 1024, 'x')};
  CHECK(publish::plan_tags({"redis:7"}, options).error() == "'" + options.tags[0] + "' is not a valid docker tag");
}
