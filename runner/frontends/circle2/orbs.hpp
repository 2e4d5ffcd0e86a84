#pragma once
// CircleCI 2.1's orbs, resolved on the YAML tree before the rest of the
// 2.1 expansion: each orb's commands, executors and jobs are added to the
// config's own under the names a config calls them by (ALIAS/NAME), and
// the references inside an orb to its own parts and to the orbs it
// imports are written the same way, so the expansion needs no scopes.
// Inline orbs are the config's own text; registry orbs
// (NAMESPACE/NAME@VERSION) come from an OrbLibrary: the local orb cache.
// Pure: the library is the seam to the files.
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/yaml_tree.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle2 {

// A registry orb as a config names it: circleci/node@5.1.0.
struct OrbRef {
  std::string ns;
  std::string name;
  std::string version; // 5.1.0, 5.1, 5, volatile or dev:LABEL

  std::string text() const { return ns + "/" + name + "@" + version; }
};

// NAMESPACE/NAME@VERSION with names of lowercase letters, digits, '-' and
// '_', and a version of digits and dots, `volatile` or dev:LABEL; or why
// not. Nothing else reaches a file's name.
tl::expected<OrbRef, std::string> parse_orb_ref(std::string_view written);

// Orb versions: X.Y.Z is a full release; X, X.Y and volatile mean the
// highest full release that fits them; dev:LABEL and a full version mean
// themselves. Compared by number, so 05 is 5.
bool is_full_version(std::string_view version);
bool version_means(std::string_view written, std::string_view full);
bool older_version(std::string_view full, std::string_view than);

struct OrbSource {
  std::string path; // where it was read, for messages
  std::string text;
  std::string error; // set: the file is there but could not be read
};

class OrbLibrary {
public:
  OrbLibrary() = default;
  OrbLibrary(const OrbLibrary&) = delete;
  OrbLibrary& operator=(const OrbLibrary&) = delete;
  virtual ~OrbLibrary() = default;
  // The orb's packed source, or nothing when the library lacks it.
  virtual std::optional<OrbSource> find(const OrbRef& ref) const = 0;
  // Where the orb would be kept, for the message that says how to fill it.
  virtual std::string place_of(const OrbRef& ref) const = 0;
};

// A library with no orbs in it: every registry orb is missing.
class NoOrbs final : public OrbLibrary {
public:
  std::optional<OrbSource> find(const OrbRef& /*ref*/) const override { return std::nullopt; }
  std::string place_of(const OrbRef& ref) const override
  {
    return "~/.cache/drydock/orbs/" + ref.ns + "/" + ref.name + "@" + ref.version + ".yml";
  }
};

// The library of a caller that has no orb cache.
const OrbLibrary& no_orbs();

struct WithOrbs {
  config::NodePtr root; // the config with its orbs' commands and executors added
  // Orbs that could not be read (said once, where they are named): the
  // uses of their parts say nothing more.
  std::vector<std::string> unresolved;
  // The orbs' jobs (ALIAS/NAME: definition), apart from the config's: only
  // those a workflow runs are read. Null without orbs.
  config::NodePtr jobs;
};

// The config `root` (a mapping) with the parts of the orbs under its
// `orbs:` added; problems go to diags.
WithOrbs with_orbs(const config::Node& root, const OrbLibrary& library, Diagnostics& diags);

// Whether `name` (ALIAS/PART) is a part of an orb that could not be read.
bool of_unresolved_orb(std::string_view name, const std::vector<std::string>& unresolved);

// The registry orbs a config names, in its `orbs:` and in the inline
// orbs there (not those inside registry orbs: they are read with them).
std::vector<OrbRef> registry_orbs(const config::Node& root);

} // namespace drydock::circle2
