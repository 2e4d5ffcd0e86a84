#include "util/file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>
#include <filesystem>

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
      return tl::unexpected(fmt::format("larger than {} MiB; not a CI config", kMaxConfigBytes / (std::size_t{1024} * 1024)));
    }
  }
  if (in.bad()) {
    return tl::unexpected(std::string(std::strerror(errno)));
  }
  return text;
}

} // namespace drydock
