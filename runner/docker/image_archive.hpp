#pragma once
// An image's archive, written off the critical path: the image step
// (ensure_image) leaves a request when it built the image or found it
// without its archive, and the archive step of the same run, which starts
// beside the steps that use the image, writes it (docker save | zstd into
// a temporary file, fsync, rename) and prunes the old ones. Runs sharing a
// cache directory write each archive once: a lock per image name, and the
// archive written by another run meanwhile counts as written.
#include <functional>
#include <optional>
#include <string>

#include "docker/client.hpp"
#include "docker/image_cache.hpp"

namespace drydock::docker {

// An exclusive flock on a file of the cache directory (made if need be),
// released when it goes. Waiting says so first through `on_wait`.
class CacheLock {
public:
  enum class Wait { until_free, no };
  CacheLock(const std::string& path, Wait wait, const std::function<void()>& on_wait);
  ~CacheLock();
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;
  // False when Wait::no found it taken (or the file cannot be opened).
  bool held() const { return m_held; }

private:
  int m_fd = -1;
  bool m_held = false;
};

// <cache dir>/<name>.lock: deciding and making an image.
std::string image_lock_path(const ImageJob& job);
// <cache dir>/<name>.archive.lock: writing one of its archives.
std::string archive_lock_path(const ImageJob& job);

// <cache dir>/.<name>.archive-<run id>: the key the image step of this run
// asks its archive step to write, and the run's owner ("PID:START").
std::string archive_request_path(const ImageJob& job);
tl::expected<void, std::string> request_archive(const ImageJob& job, const std::string& key);

// Removes the requests of runs that are gone (killed, or stopped before
// their archive step started).
void remove_stale_requests(const ImageJob& job);

// The archive step: takes this run's request (removing it) and writes that
// key's archive unless it is there; then prunes. Never an error: a failed
// write is a warning (the image is in the engine) and leaves nothing
// partial; an interrupt removes the temporary file (ArchiveWriter).
void write_requested_archive(const Client& client, const ImageJob& job, const Log& log);

} // namespace drydock::docker
