#pragma once
// The local orb cache: registry orbs' packed source as files,
// DIR/NAMESPACE/NAME@VERSION.yml, where DIR is --orbs DIR, else
// $XDG_CACHE_HOME/drydock/orbs, else ~/.cache/drydock/orbs. A version
// written as X or X.Y (or `volatile`) is the highest X.*.* (any) kept.
#include <tl/expected.hpp>

#include <optional>
#include <string>

#include "env/environment.hpp"
#include "frontends/circle2/orbs.hpp"

namespace drydock::cli {

// The cache's folder: `given` (--orbs DIR) when set, else from the environment.
std::string orb_cache_dir(const std::optional<std::string>& given, const env::Environment& env);

class OrbCache final : public circle2::OrbLibrary {
public:
  explicit OrbCache(std::string dir) : m_dir(std::move(dir)) {}

  std::optional<circle2::OrbSource> find(const circle2::OrbRef& ref) const override;
  std::string place_of(const circle2::OrbRef& ref) const override;

  // Keeps `text` as the orb's source (written whole or not at all), and
  // removes what a killed writer left in its folder.
  tl::expected<std::string, std::string> save(const circle2::OrbRef& ref, const std::string& text) const;

private:
  // The full version kept that a partial one (5, 5.1, volatile) means, if any.
  std::optional<std::string> highest_kept(const circle2::OrbRef& ref) const;
  std::string m_dir;
};

} // namespace drydock::cli
