#pragma once
// docker-ci-deploy's tag generation, compatible with 0.3.x: the same tags
// in the same order (every `docker tag` for each image in turn, then every
// `docker push` in the same order), without its bugs: several images with
// --tag all get tagged, build metadata (+...) is dropped instead of hanging,
// and a precision beyond the version is an error value, not a traceback.
// Pure: nothing here runs docker.
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace drydock::publish {

struct TagOptions {
  std::vector<std::string> tags;      // --tag: replace the source tag
  std::optional<std::string> version; // --version
  bool latest = false;                // --version-latest
  bool semver = false;                // --version-semver
  std::optional<int> precision;       // --semver-precision (0 counts as 1, as in DCD)
  bool zero = false;                  // --semver-zero
  std::optional<std::string> registry;
};

// `name[:tag]` split as docker/distribution's reference grammar does.
struct ImageRef {
  std::string name;
  std::optional<std::string> tag;
};
tl::expected<ImageRef, std::string> split_image_tag(const std::string& image);

// Whether `name` is a valid repository name (domain and path components).
bool valid_name(const std::string& name);

// REGISTRY/NAME, or, when that is not a valid name (NAME has its own host
// with a port), NAME's host replaced by REGISTRY.
std::string with_registry(const std::string& name, const std::string& registry);

// "1.2.3" -> 1.2.3, 1.2, 1 (DCD's generate_semver_versions).
tl::expected<std::vector<std::string>, std::string> semver_versions(const std::string& version, int precision,
                                                                    bool zero);

// The tags one base tag becomes under the versions (DCD's VersionTagger).
std::vector<std::string> version_tags(const std::optional<std::string>& tag, const std::vector<std::string>& versions,
                                      bool latest);

struct TagCommand {
  std::string source;
  std::string target;
  bool self = false; // source == target: not tagged, still pushed
};

struct TagPlan {
  std::vector<TagCommand> tags; // in DCD's order
  std::vector<std::string> pushes;
  std::vector<std::string> notes; // e.g. dropped build metadata
};

// The options are checked first; the errors are DCD's own usage messages.
tl::expected<void, std::string> check_options(const TagOptions& options);

tl::expected<TagPlan, std::string> plan_tags(const std::vector<std::string>& images, const TagOptions& options);

// The same for one image whose pushed name is `name` but whose local
// source is `source` (drydock.publish: the cache's REPOSITORY:CIRCLE_SHA1).
tl::expected<TagPlan, std::string> plan_tags_from(const std::string& source, const std::string& name,
                                                  const TagOptions& options);

// DCD's dry-run lines: "docker tag SRC DST" for each, then "docker push DST".
std::vector<std::string> dry_run_lines(const TagPlan& plan, const std::string& executable, bool verbose);

} // namespace drydock::publish
