#include "docker/image_archive.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "docker/archive.hpp"
#include "docker/commands.hpp"
#include "docker/leftovers.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::docker {
namespace {

std::string in_cache(const ImageJob& job, const std::string& file) { return (fs::path(job.cache_dir) / file).string(); }

struct Request {
  std::string key;
  std::string owner;
};

std::optional<Request> read_request(const std::string& path)
{
  std::ifstream in(path);
  Request request;
  if (!(in >> request.key)) {
    return std::nullopt;
  }
  in >> request.owner;
  return request;
}

bool owner_gone(const std::string& owner)
{
  int pid = 0;
  std::uint64_t start = 0;
  char colon = 0;
  std::istringstream words(owner);
  if (!(words >> pid >> colon >> start) || colon != ':') {
    return true; // no owner to wait for
  }
  return !owner_alive(pid, start);
}

// docker save into the archive: a temporary file, fsync, rename.
tl::expected<std::uint64_t, std::string> save_archive(const Client& client, const ImageJob& job,
                                                      const std::string& reference, const std::string& archive)
{
  ArchiveWriter writer;
  if (auto opened = writer.open(archive, job.compression_level); !opened) {
    return tl::unexpected(opened.error());
  }
  const auto saved = client.stdout_to(save(reference), ".",
                                      [&writer](std::string_view chunk) { return writer.write(chunk); });
  if (!saved || *saved != 0) {
    return tl::unexpected(!saved ? saved.error() : fmt::format("docker save exited with {}", *saved));
  }
  if (auto committed = writer.commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return writer.bytes_written();
}

// A failed archive write costs the next fresh machine a build, not this
// run: the image is in the engine, so say so and go on.
bool write_archive(const Client& client, const ImageJob& job, const std::string& key, const Log& log)
{
  const std::string archive = archive_path(job.cache_dir, job.name, key);
  const auto bytes = save_archive(client, job, job.repository + ":" + key, archive);
  if (!bytes) {
    log(fmt::format("warning: could not write the archive {}: {}; the image is in the engine, so the build goes on",
                    archive, bytes.error()));
    return false;
  }
  log(fmt::format("wrote {} ({:.1f} MiB)", archive, static_cast<double>(*bytes) / (1024.0 * 1024.0)));
  return true;
}

// Pruning must not remove an archive another run's image step is about to
// load, so it takes the image lock, and leaves it for later when taken.
void prune(const ImageJob& job, const std::string& key, const Log& log)
{
  const CacheLock lock(image_lock_path(job), CacheLock::Wait::no, [] {});
  if (!lock.held()) {
    log(fmt::format("old archives of {} not pruned: another run is making the image", job.name));
    return;
  }
  for (const auto& removed : prune_archives(job.cache_dir, job.name, key, job.keep)) {
    log(fmt::format("pruned {}", removed));
  }
}

} // namespace

namespace {

int open_lock_file(const std::string& path)
{
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

} // namespace

CacheLock::CacheLock(const std::string& path, Wait wait, const std::function<void()>& on_wait)
  : m_fd(open_lock_file(path))
{
  if (m_fd < 0) {
    m_held = wait == Wait::until_free; // without a lock file, go on unlocked, as before
    return;
  }
  m_held = ::flock(m_fd, LOCK_EX | LOCK_NB) == 0;
  if (!m_held && wait == Wait::until_free) {
    on_wait();
    m_held = ::flock(m_fd, LOCK_EX) == 0;
  }
}

CacheLock::~CacheLock()
{
  if (m_fd >= 0) {
    ::close(m_fd); // releases the lock
  }
}

std::string image_lock_path(const ImageJob& job) { return in_cache(job, job.name + ".lock"); }

std::string archive_lock_path(const ImageJob& job) { return in_cache(job, job.name + ".archive.lock"); }

std::string archive_request_path(const ImageJob& job)
{
  return in_cache(job, fmt::format(".{}.archive-{}", job.name, job.run_id));
}

tl::expected<void, std::string> request_archive(const ImageJob& job, const std::string& key)
{
  return util::write_file_atomically(archive_request_path(job), fmt::format("{}\n{}\n", key, job.owner));
}

void remove_stale_requests(const ImageJob& job)
{
  const std::string prefix = fmt::format(".{}.archive-", job.name);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(job.cache_dir, ec)) {
    const std::string file = entry.path().filename().string();
    if (!file.starts_with(prefix)
        || file.find(".partial-") != std::string::npos) { // a temporary file: remove_stale_temporaries
      continue;
    }
    const auto request = read_request(entry.path().string());
    if (!request || owner_gone(request->owner)) {
      fs::remove(entry.path(), ec);
    }
  }
}

void write_requested_archive(const Client& client, const ImageJob& job, const Log& log)
{
  const std::string path = archive_request_path(job);
  const auto request = read_request(path);
  std::error_code ec;
  fs::remove(path, ec); // taken: an interrupt from here on leaves nothing behind
  if (!request) {
    log(fmt::format("nothing to write: image:{} did not build the image, and its archive was there", job.name));
    return;
  }
  const CacheLock lock(archive_lock_path(job), CacheLock::Wait::until_free,
                       [&] { log(fmt::format("waiting for another run that is writing an archive of {}", job.name)); });
  const std::string archive = archive_path(job.cache_dir, job.name, request->key);
  if (fs::exists(archive, ec)) {
    log(fmt::format("{} was written by another run meanwhile", archive));
  } else if (!write_archive(client, job, request->key, log)) {
    return;
  }
  prune(job, request->key, log);
}

} // namespace drydock::docker
