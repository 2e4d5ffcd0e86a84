#include "cli/orb_cache.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>
#include <vector>

#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::cli {

std::string orb_cache_dir(const std::optional<std::string>& given, const env::Environment& env)
{
  if (given) {
    return fs::absolute(*given).lexically_normal().string();
  }
  // As the XDG spec says, a relative XDG_CACHE_HOME is ignored; without HOME there is no cache (never
  // one relative to the current folder, which a repository could plant).
  const auto cache_home = env.get("XDG_CACHE_HOME").value_or("");
  const auto home = env.get("HOME").value_or("");
  if (cache_home.starts_with('/')) {
    return (fs::path(cache_home) / "drydock" / "orbs").string();
  }
  return home.starts_with('/') ? (fs::path(home) / ".cache" / "drydock" / "orbs").string() : std::string();
}

std::string OrbCache::place_of(const circle2::OrbRef& ref) const
{
  if (m_dir.empty()) {
    return fmt::format("~/.cache/drydock/orbs/{}/{}@{}.yml (HOME is not set: set it, or give --orbs DIR)", ref.ns,
                       ref.name, ref.version);
  }
  return (fs::path(m_dir) / ref.ns / (ref.name + "@" + ref.version + ".yml")).string();
}

std::optional<std::string> OrbCache::highest_kept(const circle2::OrbRef& ref) const
{
  if (ref.version.starts_with("dev:") || circle2::is_full_version(ref.version)) {
    return std::nullopt; // only that version will do
  }
  std::optional<std::string> best;
  std::error_code ec;
  const std::string lead = ref.name + "@";
  for (const auto& entry : fs::directory_iterator(fs::path(m_dir) / ref.ns, ec)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file(ec) || !file.starts_with(lead) || !file.ends_with(".yml")) {
      continue;
    }
    const std::string version = file.substr(lead.size(), file.size() - lead.size() - 4);
    if (circle2::version_means(ref.version, version) && (!best || circle2::older_version(*best, version))) {
      best = version;
    }
  }
  return best;
}

std::optional<circle2::OrbSource> OrbCache::find(const circle2::OrbRef& ref) const
{
  if (m_dir.empty()) {
    return std::nullopt; // no HOME: no cache (place_of says so)
  }
  auto path = place_of(ref);
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) { // never a folder, a FIFO, a device
    return circle2::OrbSource{path, "", "it is not a regular file"};
  }
  if (!fs::is_regular_file(path, ec)) {
    const auto kept = highest_kept(ref);
    if (!kept) {
      return std::nullopt;
    }
    path = place_of({ref.ns, ref.name, *kept});
  }
  auto text = read_config_file(path);
  if (!text) {
    return circle2::OrbSource{path, "", text.error()};
  }
  return circle2::OrbSource{path, std::move(*text), ""};
}

tl::expected<std::string, std::string> OrbCache::save(const circle2::OrbRef& ref, const std::string& text) const
{
  if (m_dir.empty()) {
    return tl::unexpected(std::string("HOME is not set: set it, or give --orbs DIR"));
  }
  const std::string path = place_of(ref);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path(), ec)) {
    if (util::is_abandoned_temporary(entry.path().filename().string())) {
      fs::remove(entry.path(), ec);
    }
  }
  util::AtomicFile file;
  auto done = file.open(path);
  if (done) {
    done = file.write(text);
  }
  if (done) {
    done = file.commit();
  }
  if (!done) {
    return tl::unexpected(fmt::format("cannot write {}: {}", path, done.error()));
  }
  return path;
}

} // namespace drydock::cli
