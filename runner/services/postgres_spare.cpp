#include "services/postgres_spare.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <utility>

#include "services/postgres_template.hpp"

namespace fs = std::filesystem;

namespace drydock::services {
namespace {

// A builder killed mid-copy leaves its .tmp-* folder; removed after this.
constexpr auto kStaleAfter = std::chrono::hours(1);

tl::expected<void, std::string> failed(const char* what, const fs::path& path)
{
  return tl::unexpected(fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

// Gives `to` the mode and owner of `info` (a link: only its owner). `to`
// is inside a private folder of ours, so no one can swap it for a link.
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
    if (::mkdir(to.c_str(), 0700) != 0) {
      return failed("create", to);
    }
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

// The folder holding this user's spares, made 0700 and checked to be ours:
// /dev/shm is everyone's, and another user could make the name first.
tl::expected<fs::path, std::string> private_root(const std::string& parent_dir)
{
  const fs::path root = spare_root(parent_dir);
  if (::mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) {
    return tl::unexpected(fmt::format("cannot create {}: {}", root.string(), std::strerror(errno)));
  }
  struct stat info {};
  if (::lstat(root.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) || info.st_uid != ::geteuid()
      || (info.st_mode & 077) != 0) {
    return tl::unexpected(fmt::format("{} is not a private folder of this user; no spare copies", root.string()));
  }
  return root;
}

void remove_stale(const fs::path& root)
{
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::error_code time_ec;
    const auto written = fs::last_write_time(entry.path(), time_ec);
    if (entry.path().filename().string().starts_with(".") && !time_ec && now - written > kStaleAfter) {
      fs::remove_all(entry.path(), time_ec);
    }
  }
}

std::string unique_name(const char* prefix)
{
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}{}-{}-{}", prefix, ::getpid(), counter++,
                     std::chrono::steady_clock::now().time_since_epoch().count());
}

// Takes the spare of `key` into `data`: one rename claims it (two runs
// starting at once: one gets it, the other copies the template), and the
// key goes beside the data, for the step to check.
bool take(const fs::path& root, const UsableTemplate& found, const fs::path& cluster_dir, const Log& log)
{
  const fs::path claimed = root / unique_name(".taken-");
  if (::rename((root / found.key).c_str(), claimed.c_str()) != 0) {
    return false;
  }
  std::error_code ec;
  const bool whole = fs::read_symlink(claimed / "from", ec) == found.dir && !ec;
  const bool moved = whole && ::rename((claimed / "data").c_str(), (cluster_dir / "data").c_str()) == 0;
  fs::remove_all(claimed, ec);
  if (!moved) {
    log(fmt::format("postgres template: the spare {} was not a copy of {}; removed it", (root / found.key).string(),
                    found.dir));
    return false;
  }
  std::ofstream(cluster_dir / kSpareKeyFile) << found.key << "\n";
  return true;
}

} // namespace

std::string spare_root(const std::string& parent_dir)
{
  return (fs::path(parent_dir) / fmt::format("drydock-spares-{}", ::geteuid())).string();
}

std::string spare_dir(const std::string& parent_dir, const std::string& key)
{
  return (fs::path(spare_root(parent_dir)) / key).string();
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

std::unique_ptr<SpareCopy> SpareCopy::begin(const ClusterSpec& spec, const EnvLookup& step_env, const Log& log)
{
  const auto found = usable_template(spec, step_env);
  if (!found) {
    return nullptr;
  }
  const auto root = private_root(fs::path(spec.dir).parent_path().string());
  if (!root) {
    log("postgres template: " + root.error());
    return nullptr;
  }
  remove_stale(*root);
  take(*root, *found, spec.dir, log);
  return std::make_unique<SpareCopy>(found->dir, (*root / unique_name(".tmp-")).string(),
                                     (*root / found->key).string());
}

SpareCopy::SpareCopy(std::string template_dir, std::string work_dir, std::string spare_dir)
  : m_template_dir(std::move(template_dir)), m_work_dir(std::move(work_dir)), m_spare_dir(std::move(spare_dir))
{
  m_thread = std::thread([this] { copy(); });
}

SpareCopy::~SpareCopy()
{
  m_stop = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
  std::error_code ec;
  fs::remove_all(m_work_dir, ec);
}

void SpareCopy::copy()
{
  const fs::path work = m_work_dir;
  if (::mkdir(work.c_str(), 0700) != 0) {
    m_error = fmt::format("cannot create {}: {}", work.string(), std::strerror(errno));
    return;
  }
  auto copied = copy_tree((fs::path(m_template_dir) / "data").string(), (work / "data").string(), m_stop);
  // Written last: a spare is whole when it names its template.
  std::error_code ec;
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
  if (!m_error.empty() && !abandon) {
    log(fmt::format("postgres template: no spare copy for the next run ({})", m_error));
  } else if (m_error.empty() && ::rename(m_work_dir.c_str(), m_spare_dir.c_str()) != 0 && errno != EEXIST
             && errno != ENOTEMPTY) {
    log(fmt::format("postgres template: cannot put the spare copy at {}: {}", m_spare_dir, std::strerror(errno)));
  }
  std::error_code ec;
  fs::remove_all(m_work_dir, ec); // gone after the rename; ours to drop otherwise
}

} // namespace drydock::services
