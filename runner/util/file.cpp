#include "util/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace drydock {

tl::expected<std::string, std::string> read_config_file(const std::string& path)
{
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return tl::unexpected(std::string("is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(std::string(std::strerror(errno)));
  }
  std::string text;
  char buffer[64 * 1024];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
      return tl::unexpected(
          fmt::format("larger than {} MiB; not a CI config", kMaxConfigBytes / (std::size_t{1024} * 1024)));
    }
  }
  if (in.bad()) {
    return tl::unexpected(std::string(std::strerror(errno)));
  }
  return text;
}

} // namespace drydock

namespace drydock::util {

std::string temporary_path_for(const std::string& path)
{
  const fs::path target(path);
  thread_local std::mt19937_64 random{std::random_device{}()};
  return (target.parent_path()
          / fmt::format(".{}.partial-{}-{:016x}", target.filename().string(), ::getpid(), random()))
      .string();
}

bool is_abandoned_temporary(std::string_view file_name)
{
  constexpr std::string_view kMarker = ".partial-";
  const auto marker = file_name.find(kMarker);
  if (!file_name.starts_with('.') || marker == std::string_view::npos) {
    return false;
  }
  const int pid = std::atoi(std::string(file_name.substr(marker + kMarker.size())).c_str());
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

tl::expected<void, std::string> AtomicFile::open(const std::string& path)
{
  return open(path, temporary_path_for(path));
}

tl::expected<void, std::string> AtomicFile::open(const std::string& path, const std::string& temp)
{
  discard();
  m_path = path;
  m_temp = temp;
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  m_file = std::fopen(m_temp.c_str(), "wbx"); // x: O_EXCL, never another writer's file
  if (m_file == nullptr) {
    return tl::unexpected(fmt::format("cannot write {}: {}", m_temp, std::strerror(errno)));
  }
  return {};
}

tl::expected<void, std::string> AtomicFile::write(std::string_view data)
{
  if (!data.empty() && std::fwrite(data.data(), 1, data.size(), m_file) != data.size()) {
    return tl::unexpected(fmt::format("cannot write {}: {}", m_temp, std::strerror(errno)));
  }
  return {};
}

tl::expected<void, std::string> AtomicFile::commit()
{
  if (m_file == nullptr) {
    return tl::unexpected(fmt::format("cannot write {}: not open", m_path));
  }
  const bool synced = std::fflush(m_file) == 0 && ::fsync(::fileno(m_file)) == 0;
  const bool closed = std::fclose(m_file) == 0;
  m_file = nullptr;
  if (!synced || !closed || std::rename(m_temp.c_str(), m_path.c_str()) != 0) {
    const std::string error = std::strerror(errno);
    ::unlink(m_temp.c_str());
    return tl::unexpected(fmt::format("cannot write {}: {}", m_path, error));
  }
  if (const int dir = ::open(fs::path(m_path).parent_path().c_str(), O_RDONLY | O_DIRECTORY); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

void AtomicFile::discard()
{
  if (m_file != nullptr) {
    std::fclose(m_file);
    m_file = nullptr;
    ::unlink(m_temp.c_str());
  }
}

tl::expected<void, std::string> write_file_atomically(const std::string& path, std::string_view text)
{
  AtomicFile file;
  if (auto opened = file.open(path); !opened) {
    return opened;
  }
  if (auto written = file.write(text); !written) {
    return written; // the file's destructor removes the temporary file
  }
  return file.commit();
}

std::string temp_dir(const std::optional<std::string>& tmpdir)
{
  return tmpdir && !tmpdir->empty() ? *tmpdir : std::string("/tmp");
}

std::string temp_dir()
{
  const char* tmpdir = std::getenv("TMPDIR");
  return temp_dir(tmpdir != nullptr ? std::optional<std::string>(tmpdir) : std::nullopt);
}

bool write_fully(int fd, std::string_view text)
{
  while (!text.empty()) {
    const auto written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

std::optional<std::string> escape_from(const std::string& root, const std::string& dir)
{
  const fs::path base = fs::path(root).lexically_normal();
  const fs::path inside = fs::path(dir).lexically_normal().lexically_relative(base);
  if (inside.empty() || *inside.begin() == "..") {
    return fmt::format("{} is not inside {}", dir, root);
  }
  fs::path at = base;
  for (const auto& part : inside) {
    at /= part;
    std::error_code ec;
    if (fs::is_symlink(at, ec)) {
      return fmt::format("{} is a symbolic link", at.string());
    }
  }
  return std::nullopt;
}

int remove_symlinks(const std::string& dir)
{
  int removed = 0;
  std::error_code ec;
  std::vector<fs::path> links;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_symlink(ec)) {
      links.push_back(it->path()); // a directory_iterator does not follow links by default
    }
  }
  for (const auto& link : links) {
    removed += fs::remove(link, ec) ? 1 : 0;
  }
  return removed;
}

} // namespace drydock::util
