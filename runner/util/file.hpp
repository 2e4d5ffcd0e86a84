#pragma once
// Reading a config file, with failures as values.
#include <tl/expected.hpp>

#include <cstddef>
#include <string>

namespace drydock {

// A CI config larger than this is a mistake (or an attack), not a pipeline.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{16} * 1024 * 1024;

// The file's bytes, or a reason such as "No such file or directory".
tl::expected<std::string, std::string> read_config_file(const std::string& path);

} // namespace drydock
