#include "record/build_number.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace fs = std::filesystem;

namespace drydock::record {

std::string state_key_of(const std::string& config_dir)
{
  std::error_code ec;
  std::string key = fs::weakly_canonical(config_dir, ec).string();
  for (char& c : key) {
    c = c == '/' ? '_' : c;
  }
  return key;
}

std::string counter_file_for(const std::string& git_dir, const std::string& config_dir, const std::string& home)
{
  if (!git_dir.empty()) {
    return (fs::path(git_dir) / "drydock" / "build_num").string();
  }
  // Outside git: one counter per directory, under the user's state folder.
  return (fs::path(home) / ".local/state/drydock/build_num" / state_key_of(config_dir)).string();
}

int peek_build_number(const std::string& counter_file)
{
  FILE* file = std::fopen(counter_file.c_str(), "r");
  int value = 0;
  if (file != nullptr) {
    if (std::fscanf(file, "%d", &value) != 1) {
      value = 0;
    }
    std::fclose(file);
  }
  return value + 1;
}

tl::expected<int, std::string> next_build_number(const std::string& counter_file)
{
  std::error_code ec;
  fs::create_directories(fs::path(counter_file).parent_path(), ec);
  const int fd = ::open(counter_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return tl::unexpected(fmt::format("cannot open the build counter {}: {}", counter_file, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX) != 0) {
    ::close(fd);
    return tl::unexpected(fmt::format("cannot lock the build counter {}", counter_file));
  }
  char buffer[32] = {};
  const auto size = ::read(fd, buffer, sizeof buffer - 1);
  const int next = (size > 0 ? std::atoi(buffer) : 0) + 1;
  const std::string text = std::to_string(next) + "\n";
  const bool written = ::ftruncate(fd, 0) == 0
                       && ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
  ::close(fd); // releases the lock
  if (!written) {
    return tl::unexpected(fmt::format("cannot write the build counter {}", counter_file));
  }
  return next;
}

} // namespace drydock::record
