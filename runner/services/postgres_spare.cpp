#include "services/postgres_spare.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "services/postgres_template.hpp"

namespace fs = std::filesystem;

namespace drydock::services {
namespace {

// The spare being made, inside the run's cluster dir.
fs::path work_dir(const std::string& cluster_dir) { return fs::path(cluster_dir) / "spare"; }

tl::expected<void, std::string> failed(const char* what, const fs::path& path)
{
  return tl::unexpected(fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

// Gives `to` the mode and owner of `info` (a link: only its owner).
tl::expected<void, std::string> same_owner_and_mode(const fs::path& to, const struct stat& info)
{
  if (::lchown(to.c_str(), info.st_uid, info.st_gid) != 0 && errno != EPERM) {
    return failed("hand over", to);
  }
  if (!S_ISLNK(info.st_mode) && ::chmod(to.c_str(), info.st_mode & 07777) != 0) {
    return failed("set the mode of", to);
  }
  return {};
}

tl::expected<void, std::string> copy_entry(const fs::path& from, const fs::path& to, const struct stat& info)
{
  std::error_code ec;
  if (S_ISDIR(info.st_mode)) {
    fs::create_directory(to, ec);
  } else if (S_ISLNK(info.st_mode)) {
    fs::copy_symlink(from, to, ec);
  } else if (S_ISREG(info.st_mode)) {
    fs::copy_file(from, to, ec);
  } else {
    return {}; // a server's socket or pipe is not data
  }
  if (ec) {
    return tl::unexpected(fmt::format("cannot copy {}: {}", from.string(), ec.message()));
  }
  return same_owner_and_mode(to, info);
}

// Takes the spare waiting in `parent` into `data`: one rename claims it
// (two runs starting at once: one gets it, the other copies the template).
bool take(const fs::path& spare, const fs::path& cluster_dir, const fs::path& data, const fs::path& template_dir,
          const Log& log)
{
  const fs::path taken = cluster_dir / "taken";
  if (::rename(spare.c_str(), taken.c_str()) != 0) {
    return false;
  }
  std::error_code ec;
  const bool whole = fs::read_symlink(taken / "from", ec) == template_dir && !ec;
  const bool moved = whole && ::rename((taken / "data").c_str(), data.c_str()) == 0;
  fs::remove_all(taken, ec);
  if (!moved) {
    log(fmt::format("postgres template: the spare {} was not a copy of {}; removed it", spare.string(),
                    template_dir.string()));
  }
  return moved;
}

} // namespace

std::string spare_dir(const std::string& parent_dir, const std::string& key)
{
  return (fs::path(parent_dir) / ("drydock-pgspare-" + key)).string();
}

tl::expected<void, std::string> copy_tree(const std::string& from, const std::string& to, const std::atomic<bool>& stop)
{
  struct stat info {};
  if (::lstat(from.c_str(), &info) != 0) {
    return failed("read", from);
  }
  if (auto done = copy_entry(from, to, info); !done) {
    return done;
  }
  std::error_code ec;
  for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    if (stop) {
      return tl::unexpected(std::string("stopped"));
    }
    if (::lstat(it->path().c_str(), &info) != 0) {
      return failed("read", it->path());
    }
    if (auto done = copy_entry(it->path(), fs::path(to) / it->path().lexically_relative(from), info); !done) {
      return done;
    }
  }
  if (ec) {
    return tl::unexpected(fmt::format("cannot read {}: {}", from, ec.message()));
  }
  return {};
}

std::unique_ptr<SpareCopy> SpareCopy::begin(const ClusterSpec& spec, const Log& log)
{
  const auto found = usable_template(spec);
  if (!found) {
    return nullptr;
  }
  const fs::path parent = fs::path(spec.dir).parent_path();
  take(spare_dir(parent.string(), found->key), spec.dir, fs::path(spec.dir) / "data", found->dir, log);
  return std::make_unique<SpareCopy>(found->dir, spec.dir, found->key);
}

SpareCopy::SpareCopy(std::string template_dir, std::string cluster_dir, std::string key)
  : m_template_dir(std::move(template_dir)), m_cluster_dir(std::move(cluster_dir)), m_key(std::move(key))
{
  m_thread = std::thread([this] { copy(); });
}

SpareCopy::~SpareCopy()
{
  m_stop = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void SpareCopy::copy()
{
  const fs::path work = work_dir(m_cluster_dir);
  std::error_code ec;
  fs::create_directory(work, ec);
  auto copied = copy_tree((fs::path(m_template_dir) / "data").string(), (work / "data").string(), m_stop);
  // Written last: a spare is whole when it names its template.
  if (copied) {
    fs::create_symlink(m_template_dir, work / "from", ec);
    if (ec) {
      copied = tl::unexpected(fmt::format("cannot mark {}: {}", work.string(), ec.message()));
    }
  }
  if (!copied) {
    m_error = copied.error();
  }
}

void SpareCopy::finish(bool abandon, const Log& log)
{
  if (std::exchange(m_finished, true)) {
    return;
  }
  m_stop = abandon;
  if (m_thread.joinable()) {
    m_thread.join();
  }
  const fs::path work = work_dir(m_cluster_dir);
  const fs::path spare = spare_dir(fs::path(m_cluster_dir).parent_path().string(), m_key);
  std::error_code ec;
  if (!m_error.empty() && !abandon) {
    log(fmt::format("postgres template: no spare copy for the next run ({})", m_error));
  } else if (m_error.empty() && ::rename(work.c_str(), spare.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY) {
    log(fmt::format("postgres template: cannot put the spare copy at {}: {}", spare.string(), std::strerror(errno)));
  }
  fs::remove_all(work, ec); // gone after the rename; ours to drop otherwise
}

} // namespace drydock::services
