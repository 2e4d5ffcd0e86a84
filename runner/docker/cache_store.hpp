#pragma once
// The caches jobs keep between runs (CircleCI's save_cache and
// restore_cache), in one folder per project: <dir>/<id>.tar.zst, the
// files as a zstd-compressed tar, and <dir>/<id>.key, the key's text; the
// id is the key's SHA-256. Written by an ArchiveWriter (a temporary file
// renamed into place) and never replaced: a key's cache is immutable. The
// key file is written first, so a listing sees an archive only once both
// are there. Plain files, no engine: the container side is kept_files.
#include <tl/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace drydock::docker {

// What renders a key's parts: the step's variables, a file's checksum
// (base64 of its SHA-256, as CircleCI's `checksum`), the time, the
// machine.
struct KeyValues {
  std::function<std::optional<std::string>(const std::string& name)> env;
  std::function<tl::expected<std::string, std::string>(const std::string& file)> checksum;
  std::int64_t epoch = 0;
  std::string arch;
};

// The key's text; a variable that is not set renders as "<no value>", as
// CircleCI's templates do. A checksum that cannot be taken is the error.
tl::expected<std::string, std::string> render_key(const pipeline::CacheKey& key, const KeyValues& values);

// "linux-amd64": the OS and architecture of this machine, as `{{ arch }}`.
std::string machine_arch();

// Base64 of the SHA-256 of what `feed` hands over, chunk by chunk.
class Checksum {
public:
  Checksum();
  ~Checksum();
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;
  void add(std::string_view chunk);
  std::string base64();

private:
  struct State;
  State* m_state;
};

std::string cache_archive_path(const std::string& dir, const std::string& key);
std::string cache_key_path(const std::string& dir, const std::string& key);

// Whether a cache of exactly this key is there (both files).
bool cache_exists(const std::string& dir, const std::string& key);

struct FoundCache {
  std::string key;
  std::string archive;
  bool exact = false;
  std::size_t candidates = 1; // how many caches had the key as a prefix
};

// The cache `key` finds: its own, else the newest (by when it was
// written) whose key starts with it.
std::optional<FoundCache> find_cache(const std::string& dir, const std::string& key);

// Writes <id>.key, atomically; before the archive.
tl::expected<void, std::string> write_cache_key(const std::string& dir, const std::string& key);

// Removes the caches not restored nor written within `max_age` (CircleCI
// keeps them 15 days), and temporary files of writers that are gone.
// Returns the keys removed.
std::vector<std::string> prune_caches(const std::string& dir, std::chrono::system_clock::time_point now,
                                      std::chrono::hours max_age);

// Marks a cache used now, so pruning keeps it.
void touch_cache(const FoundCache& found);

} // namespace drydock::docker
