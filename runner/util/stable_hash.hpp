#pragma once
// A hash that is the same on every machine and every build (FNV-1a, 64
// bits), for names drydock derives from text and finds again in a later
// run: not for security, not for content keys (docker/image_key has those).
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace drydock::util {

inline std::string stable_hash_hex(std::string_view text)
{
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

} // namespace drydock::util
