#pragma once
// The content key of a drydock.images entry: a hash over tagged inputs
// (the Dockerfile, the declared input files, .dockerignore, build args and
// the base images' ids), never over a commit. A changed input gives a new
// key; the same inputs give the same key on any machine.
#include <tl/expected.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace drydock::docker {

struct KeyInput {
  std::string kind; // dockerfile, dockerignore, file, build-arg, base-image
  std::string name; // a path relative to the config's folder, an arg name, an image reference
  std::string hash; // of the content or value; for a base image its id
  bool operator==(const KeyInput&) const = default;
};

struct ImageKey {
  std::string key;              // 32 hex digits
  std::vector<KeyInput> inputs; // sorted
};

// 32 hex digits of XXH3-128.
std::string hash_text(std::string_view data);
tl::expected<std::string, std::string> hash_file(const std::string& path);

// The images a Dockerfile builds FROM, in order: ARGs declared before the
// first FROM (overridden by build args) are substituted; earlier stages
// and `scratch` are not images.
std::vector<std::string> base_images(std::string_view dockerfile, const std::map<std::string, std::string>& build_args);

// Sorts the inputs and hashes their "kind name hash" lines.
ImageKey make_key(std::vector<KeyInput> inputs);

// The text kept beside the archives so `drydock explain` can say what
// changed since the last key: "key KEY" then "kind\tname\thash" lines.
std::string manifest_text(const ImageKey& key);
tl::expected<ImageKey, std::string> parse_manifest(std::string_view text);

struct InputChange {
  enum class Kind { same, changed, added, removed };
  Kind kind = Kind::same;
  KeyInput input;  // the current one (the previous one when removed)
  std::string was; // the previous hash when changed
};

// Every current and previous input, in order, with what became of it.
std::vector<InputChange> compare_inputs(const ImageKey& previous, const ImageKey& current);

} // namespace drydock::docker
