#include "frontends/circle1/selection.hpp"

#include <fmt/format.h>

#include "util/regex.hpp"

namespace drydock::circle1 {
namespace {

std::string describe(const config::Pattern& pattern)
{
  return pattern.is_regex ? fmt::format("/{}/", pattern.text) : fmt::format("'{}'", pattern.text);
}

std::string describe_all(const std::vector<config::Pattern>& patterns)
{
  std::vector<std::string> parts;
  for (const auto& pattern : patterns) {
    parts.push_back(describe(pattern));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

// The first pattern that matches (nullptr when none does).
tl::expected<const config::Pattern*, std::string> first_match(const std::vector<config::Pattern>& patterns,
                                                              std::string_view value)
{
  for (const auto& pattern : patterns) {
    const auto matched = pattern_matches(pattern, value);
    if (!matched) {
      return tl::unexpected(matched.error());
    }
    if (*matched) {
      return &pattern;
    }
  }
  return nullptr;
}

// Which of a section's branch and tag patterns match the build, if any.
struct RefMatch {
  const config::Pattern* branch = nullptr;
  const config::Pattern* tag = nullptr;
};

tl::expected<RefMatch, std::string> match_refs(const config::Deployment& section, const BuildTarget& target)
{
  RefMatch match;
  if (!target.branch.empty()) {
    const auto branch = first_match(section.branch, target.branch);
    if (!branch) {
      return tl::unexpected(branch.error());
    }
    match.branch = *branch;
  }
  if (!target.tag.empty()) {
    const auto tag = first_match(section.tag, target.tag);
    if (!tag) {
      return tl::unexpected(tag.error());
    }
    match.tag = *tag;
  }
  return match;
}

// Why a section does not match the branch/tag part.
std::string ref_mismatch(const config::Deployment& section, const BuildTarget& target)
{
  std::vector<std::string> why;
  if (!section.branch.empty()) {
    why.push_back(target.branch.empty()
                      ? "the build has no branch"
                      : fmt::format("branch '{}' does not match {}", target.branch, describe_all(section.branch)));
  }
  if (!section.tag.empty()) {
    why.push_back(target.tag.empty()
                      ? "the build is not for a tag"
                      : fmt::format("tag '{}' does not match {}", target.tag, describe_all(section.tag)));
  }
  if (why.empty()) {
    why.emplace_back("it has no 'branch' or 'tag'");
  }
  return fmt::format("{}", fmt::join(why, "; "));
}

std::string match_reason(const RefMatch& match, const BuildTarget& target)
{
  if (match.branch) {
    return fmt::format("branch '{}' matches {}", target.branch, describe(*match.branch));
  }
  return fmt::format("tag '{}' matches {}", target.tag, describe(*match.tag));
}

// One section's decision, once no earlier one was selected.
tl::expected<SectionDecision, std::string> decide_section(const config::Deployment& section, const BuildTarget& target)
{
  const auto match = match_refs(section, target);
  if (!match) {
    return tl::unexpected(match.error());
  }
  if (!match->branch && !match->tag) {
    return SectionDecision{section.name, false, ref_mismatch(section, target)};
  }
  if (section.owner && section.owner->value != target.owner) {
    return SectionDecision{section.name, false,
                           fmt::format("owner '{}' is not '{}'", target.owner, section.owner->value)};
  }
  return SectionDecision{section.name, true, match_reason(*match, target)};
}

} // namespace

tl::expected<bool, std::string> pattern_matches(const config::Pattern& pattern, std::string_view value)
{
  if (!pattern.is_regex) {
    return pattern.text == value;
  }
  if (pattern.regex) {
    return pattern.regex->search(value);
  }
  const auto regex = util::compile_regex(pattern.text); // a pattern the loader did not make
  if (!regex) {
    return tl::unexpected(fmt::format("invalid regular expression /{}/ at line {}, column {}: {}",
                                      util::shown_pattern(pattern.text), pattern.pos.line, pattern.pos.column,
                                      regex.error()));
  }
  return regex->search(value);
}

tl::expected<BranchDecision, std::string> decide_branches(const config::BranchFilter& filter, const BuildTarget& target)
{
  if (target.branch.empty()) {
    return BranchDecision{true, "the build has no branch, so general.branches does not apply"};
  }
  const auto only = first_match(filter.only, target.branch);
  const auto ignored = first_match(filter.ignore, target.branch);
  if (!only || !ignored) {
    return tl::unexpected(only ? ignored.error() : only.error());
  }
  if (!filter.only.empty() && !*only) {
    return BranchDecision{false, fmt::format("branch '{}' is not in general.branches.only ({})", target.branch,
                                             describe_all(filter.only))};
  }
  if (*ignored) {
    return BranchDecision{false, fmt::format("branch '{}' is ignored by general.branches.ignore ({})", target.branch,
                                             describe(**ignored))};
  }
  if (filter.only.empty() && filter.ignore.empty()) {
    return BranchDecision{true, "no branch filter"};
  }
  return BranchDecision{true, fmt::format("branch '{}' passes general.branches", target.branch)};
}

BranchDecision decide_commit(std::string_view sha, std::string_view message)
{
  if (sha.empty()) {
    return {true, "no git commit, so no message to hold [ci skip]"};
  }
  const auto ci_skip = message.find("[ci skip]");
  const auto skip_ci = message.find("[skip ci]");
  if (ci_skip == std::string_view::npos && skip_ci == std::string_view::npos) {
    return {true, "the commit message holds no [ci skip] or [skip ci]"};
  }
  return {false, fmt::format("the commit message of {} holds {}", sha.substr(0, 12),
                             ci_skip < skip_ci ? "[ci skip]" : "[skip ci]")};
}

tl::expected<DeploymentChoice, std::string> choose_deployment(const std::vector<config::Deployment>& sections,
                                                              const BuildTarget& target)
{
  DeploymentChoice choice;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    if (choice.selected) {
      choice.sections.push_back(
          {sections[i].name, false,
           fmt::format("an earlier section ('{}') already matched", sections[*choice.selected].name)});
      continue;
    }
    auto decision = decide_section(sections[i], target);
    if (!decision) {
      return tl::unexpected(decision.error());
    }
    if (decision->selected) {
      choice.selected = i;
    }
    choice.sections.push_back(std::move(*decision));
  }
  return choice;
}

} // namespace drydock::circle1
