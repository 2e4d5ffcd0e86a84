#pragma once
// Which parts of a config apply to this build: general.branches and the
// deployment section, decided from the branch, tag and owner, and [ci skip]
// from the commit message, with the reason for each decision (shown by
// `drydock plan`).
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace drydock::circle1 {

// What the build is for (CIRCLE_BRANCH, CIRCLE_TAG, CIRCLE_PROJECT_USERNAME).
struct BuildTarget {
  std::string branch;
  std::string tag;
  std::string owner;
};

// An exact name, or a /regex/ searched anywhere in the value (as Ruby's =~
// did for CircleCI; anchor it with ^...$ to match the whole value). A regex
// that does not compile is an error, never "no match"; the loader compiles
// them, so that is only for a Pattern made without it.
tl::expected<bool, std::string> pattern_matches(const config::Pattern& pattern, std::string_view value);

struct BranchDecision {
  bool runs = true;
  std::string reason;
};

// general.branches: `only` must match (if given), `ignore` must not. A build
// without a branch (a tag build) is not filtered.
tl::expected<BranchDecision, std::string> decide_branches(const config::BranchFilter& filter,
                                                          const BuildTarget& target);

// CircleCI 1.0 built no commit whose message (its title or its body) holds
// [ci skip] or [skip ci]; it looked at the last commit pushed, drydock looks
// at HEAD. `sha` is empty outside a git work tree: no commit, no skip.
BranchDecision decide_commit(std::string_view sha, std::string_view message);

struct SectionDecision {
  std::string name;
  bool selected = false;
  std::string reason;
};

struct DeploymentChoice {
  std::optional<std::size_t> selected; // index into config.deployment
  std::vector<SectionDecision> sections;
};

// The first section whose branch or tag matches (and owner, if given) is the
// one that runs, as CircleCI documents.
tl::expected<DeploymentChoice, std::string> choose_deployment(const std::vector<config::Deployment>& sections,
                                                              const BuildTarget& target);

} // namespace drydock::circle1
