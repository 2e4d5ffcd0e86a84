#include "docker/cache_store.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::docker {
namespace {

constexpr std::string_view kArchiveSuffix = ".tar.zst";
constexpr std::string_view kKeySuffix = ".key";

std::string sha256_hex(std::string_view text)
{
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  return hex;
}

std::string cache_id(const std::string& key) { return sha256_hex(key).substr(0, 32); }

std::optional<std::string> read_text(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Each cache of the folder: its key, archive and when its key was written.
struct Entry {
  std::string key;
  fs::path archive;
  fs::file_time_type written;
};

std::vector<Entry> entries_of(const std::string& dir)
{
  std::vector<Entry> entries;
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    const std::string name = file.path().filename().string();
    if (name.starts_with(".") || !name.ends_with(kKeySuffix)) {
      continue;
    }
    const fs::path archive = fs::path(dir)
                             / (name.substr(0, name.size() - kKeySuffix.size()) + std::string(kArchiveSuffix));
    const auto key = read_text(file.path());
    const auto written = fs::last_write_time(file.path(), ec);
    if (key && !ec && fs::exists(archive, ec)) {
      entries.push_back({*key, archive, written});
    }
  }
  return entries;
}

} // namespace

struct Checksum::State {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
};

Checksum::Checksum() : m_state(new State) { EVP_DigestInit_ex(m_state->context, EVP_sha256(), nullptr); }

Checksum::~Checksum()
{
  EVP_MD_CTX_free(m_state->context);
  delete m_state;
}

void Checksum::add(std::string_view chunk) { EVP_DigestUpdate(m_state->context, chunk.data(), chunk.size()); }

std::string Checksum::base64()
{
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(m_state->context, digest.data(), &size);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> text{};
  const int length = EVP_EncodeBlock(text.data(), digest.data(), static_cast<int>(size));
  return {reinterpret_cast<const char*>(text.data()), static_cast<std::size_t>(length)};
}

tl::expected<std::string, std::string> render_key(const pipeline::CacheKey& key, const KeyValues& values)
{
  using Kind = pipeline::KeyPart::Kind;
  std::string out;
  for (const auto& part : key.parts) {
    switch (part.kind) {
    case Kind::text: out += part.value; break;
    case Kind::env: out += values.env ? values.env(part.value).value_or("<no value>") : "<no value>"; break;
    case Kind::epoch: out += fmt::format("{}", values.epoch); break;
    case Kind::arch: out += values.arch; break;
    case Kind::checksum: {
      auto sum = values.checksum ? values.checksum(part.value) : tl::unexpected(std::string("no checksum here"));
      if (!sum) {
        return tl::unexpected(
            fmt::format("key '{}': cannot take the checksum of {}: {}", key.written, part.value, sum.error()));
      }
      out += *sum;
      break;
    }
    }
  }
  return out;
}

std::string machine_arch()
{
  utsname names{};
  if (::uname(&names) != 0) {
    return "unknown";
  }
  std::string system = names.sysname;
  for (char& c : system) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const std::string machine = names.machine;
  const std::string arch = machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine;
  return system + "-" + arch;
}

std::string cache_archive_path(const std::string& dir, const std::string& key)
{
  return (fs::path(dir) / (cache_id(key) + std::string(kArchiveSuffix))).string();
}

std::string cache_key_path(const std::string& dir, const std::string& key)
{
  return (fs::path(dir) / (cache_id(key) + std::string(kKeySuffix))).string();
}

bool cache_exists(const std::string& dir, const std::string& key)
{
  std::error_code ec;
  const auto written = read_text(cache_key_path(dir, key));
  return written && *written == key && fs::exists(cache_archive_path(dir, key), ec);
}

std::optional<FoundCache> find_cache(const std::string& dir, const std::string& key)
{
  if (cache_exists(dir, key)) {
    return FoundCache{key, cache_archive_path(dir, key), true, 1};
  }
  std::optional<Entry> newest;
  std::size_t candidates = 0;
  for (auto& entry : entries_of(dir)) {
    if (entry.key.starts_with(key)) {
      ++candidates;
      if (!newest || entry.written > newest->written) {
        newest = std::move(entry);
      }
    }
  }
  if (!newest) {
    return std::nullopt;
  }
  return FoundCache{newest->key, newest->archive.string(), false, candidates};
}

tl::expected<void, std::string> write_cache_key(const std::string& dir, const std::string& key)
{
  return util::write_file_atomically(cache_key_path(dir, key), key);
}

std::vector<std::string> prune_caches(const std::string& dir, std::chrono::system_clock::time_point now,
                                      std::chrono::hours max_age)
{
  std::vector<std::string> removed;
  std::error_code ec;
  const auto oldest = fs::file_time_type::clock::now() - (std::chrono::system_clock::now() - (now - max_age));
  for (const auto& entry : entries_of(dir)) {
    const auto used = fs::last_write_time(entry.archive, ec);
    if (!ec && std::max(used, entry.written) < oldest) {
      fs::remove(cache_key_path(dir, entry.key), ec); // first: a listing never sees a key without its archive
      fs::remove(entry.archive, ec);
      removed.push_back(entry.key);
    }
  }
  constexpr std::string_view kMarker = ".partial-";
  for (const auto& file : fs::directory_iterator(dir, ec)) {
    const std::string name = file.path().filename().string();
    const auto marker = name.find(kMarker);
    const int pid = marker == std::string::npos ? 0 : std::atoi(name.c_str() + marker + kMarker.size());
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) { // only a writer that is gone
      fs::remove(file.path(), ec);
    }
  }
  return removed;
}

void touch_cache(const FoundCache& found)
{
  std::error_code ec;
  fs::last_write_time(found.archive, fs::file_time_type::clock::now(), ec);
}

} // namespace drydock::docker
