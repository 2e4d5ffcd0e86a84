#pragma once
// The content-keyed image cache, the seed script's job done right: hash
// the declared inputs into a key; reuse NAME:KEY if the engine has it, else
// load <cache dir>/<name>-<key>.tar.zst if its checksum holds, else build
// it and write the archive; then tag it for the run (CIRCLE_SHA1).
#include <tl/expected.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "docker/client.hpp"
#include "docker/image_key.hpp"
#include "env/environment.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::docker {

struct ImageJob {
  std::string name; // the drydock.images key
  std::string repository;
  std::string config_dir; // inputs are named relative to it
  std::string dockerfile; // absolute
  std::string context;    // absolute
  std::string cache_dir;  // absolute
  std::vector<std::string> input_patterns;
  bool allow_outside_inputs = false;                           // absolute, ../ and symlinks out allowed
  std::vector<std::pair<std::string, std::string>> build_args; // expanded
  int keep = 2;
  std::string run_tag;       // CIRCLE_SHA1, or "local" outside git
  std::string run_id;        // names this run's archive request
  std::string owner;         // "PID:START" of the run, so a dead run's request can be told apart
  int compression_level = 1; // on the critical path of a cold run: level 3 cost 85-120 ms more there (bench/docker)
};

// Paths resolved against the base directory (the config's folder) and
// $HOME, build args expanded; the image is tagged run_tag for the run.
ImageJob make_image_job(const pipeline::ImageBuild& spec, const std::string& base_dir, const env::Environment& env,
                        const std::string& run_tag);

// The tag containers of this run use: repository:run_tag.
std::string run_reference(const std::string& repository, const std::string& run_tag);

// Where the inputs of the last key are kept: <cache dir>/<name>.inputs
std::string manifest_path(const ImageJob& job);

// The last key and its inputs, when a run recorded them.
std::optional<ImageKey> last_key(const ImageJob& job);

// Every input with its hash; base images are looked up in the engine
// (an image it lacks counts as "absent").
tl::expected<ImageKey, std::string> compute_key(const Client& client, const ImageJob& job);

// The id a base image reference has; the cache asks the engine, or first
// assumes what the last key recorded.
using BaseIdLookup = std::function<tl::expected<std::string, std::string>(const std::string& ref)>;
tl::expected<ImageKey, std::string> compute_key(const ImageJob& job, const BaseIdLookup& base_id);

// Whether the engine has this image (an error when no engine answers).
tl::expected<bool, std::string> engine_has_image(const Client& client, const std::string& ref);

enum class ImageSource { present, loaded, built };
std::string_view source_name(ImageSource source);

struct EnsureResult {
  ImageSource source = ImageSource::present;
  std::string reference; // repository:key
  // Built, or present without its archive: a request for the archive step
  // (image_archive.hpp) was left.
  bool archive_requested = false;
};

using Log = std::function<void(const std::string& line)>;

// The image step: makes REPOSITORY:KEY present (engine, archive or build)
// and tags it for the run; the archive is left to the archive step.
tl::expected<EnsureResult, std::string> ensure_image(const Client& client, const ImageJob& job, const Log& log);

} // namespace drydock::docker
