#pragma once
// The container side of the files a job keeps (CircleCI's caches and
// workspace): tar streams out of and into a job container (or this
// machine), through the docker Client seam, stored compressed as
// cache_store and the run's workspace layers say.
#include <tl/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "docker/cache_store.hpp"
#include "docker/client.hpp"

namespace drydock::docker {

// Where files are: a job container (empty: this machine) and the
// directory relative paths start from.
struct FilesPlace {
  std::string container;
  std::string base;
};

// Base64 of the SHA-256 of a file there.
tl::expected<std::string, std::string> checksum_of(const Client& client, const FilesPlace& place,
                                                   const std::string& file);

struct SavedCache {
  bool saved = false;      // false: none of the paths exist
  std::uint64_t bytes = 0; // compressed
};

// The files at `paths` as the cache `key` in `dir`. The caller checked that
// the key has no cache yet. Nothing partial is left, whatever happens.
tl::expected<SavedCache, std::string> save_cache(const Client& client, const FilesPlace& place,
                                                 const std::vector<std::string>& paths, const std::string& dir,
                                                 const std::string& key);

// The cache's files back where they were saved from.
tl::expected<void, std::string> restore_cache(const Client& client, const FilesPlace& place, const FoundCache& found);

// One persist step's layer: <dir>/<n>.tar.zst and, beside it, <n>.list
// (its files, relative to the root, NUL-terminated). Returns the files;
// none: nothing matched, and no layer was written.
tl::expected<std::vector<std::string>, std::string> persist_layer(const Client& client, const FilesPlace& place,
                                                                  const std::string& root,
                                                                  const std::vector<std::string>& paths,
                                                                  const std::string& dir);

// A job's layers, oldest first, and the files each holds.
struct LayerFiles {
  std::string archive;
  std::vector<std::string> files;
};
std::vector<LayerFiles> layers_in(const std::string& dir);

// A file two jobs persisted with neither after the other (CircleCI refuses
// to attach it): the words for it, or nothing. `jobs[i]` are the layers of
// `layers[i]`.
std::optional<std::string> workspace_conflict(const std::vector<pipeline::WorkspaceLayer>& layers,
                                              const std::vector<std::vector<LayerFiles>>& jobs);

// Unpacks a layer at `at`.
tl::expected<void, std::string> unpack_layer(const Client& client, const FilesPlace& place, const std::string& at,
                                             const std::string& archive);

} // namespace drydock::docker
