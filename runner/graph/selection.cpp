#include "graph/selection.hpp"

#include <fmt/format.h>

#include <regex>

namespace drydock::graph {
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

const config::Pattern* first_match(const std::vector<config::Pattern>& patterns, std::string_view value)
{
  for (const auto& pattern : patterns) {
    if (pattern_matches(pattern, value)) {
      return &pattern;
    }
  }
  return nullptr;
}

// Why a section does or does not match the branch/tag part, or nothing
// when it matches.
std::optional<std::string> ref_mismatch(const config::Deployment& section, const BuildTarget& target)
{
  if (!section.branch.empty() && !target.branch.empty() && first_match(section.branch, target.branch)) {
    return std::nullopt;
  }
  if (!section.tag.empty() && !target.tag.empty() && first_match(section.tag, target.tag)) {
    return std::nullopt;
  }
  std::vector<std::string> why;
  if (!section.branch.empty()) {
    why.push_back(target.branch.empty() ? "the build has no branch"
                                        : fmt::format("branch '{}' does not match {}", target.branch,
                                                      describe_all(section.branch)));
  }
  if (!section.tag.empty()) {
    why.push_back(target.tag.empty() ? "the build is not for a tag"
                                     : fmt::format("tag '{}' does not match {}", target.tag, describe_all(section.tag)));
  }
  if (why.empty()) {
    why.push_back("it has no 'branch' or 'tag'");
  }
  return fmt::format("{}", fmt::join(why, "; "));
}

std::string match_reason(const config::Deployment& section, const BuildTarget& target)
{
  if (const auto* branch = first_match(section.branch, target.branch); branch && !target.branch.empty()) {
    return fmt::format("branch '{}' matches {}", target.branch, describe(*branch));
  }
  const auto* tag = first_match(section.tag, target.tag);
  return fmt::format("tag '{}' matches {}", target.tag, tag ? describe(*tag) : "");
}

} // namespace

bool pattern_matches(const config::Pattern& pattern, std::string_view value)
{
  if (!pattern.is_regex) {
    return pattern.text == value;
  }
  try {
    const std::regex re(pattern.text, std::regex::ECMAScript);
    return std::regex_search(value.begin(), value.end(), re);
  } catch (const std::regex_error&) {
    return false; // validate reports invalid patterns; they match nothing
  }
}

BranchDecision decide_branches(const config::BranchFilter& filter, const BuildTarget& target)
{
  if (target.branch.empty()) {
    return {true, "the build has no branch, so general.branches does not apply"};
  }
  if (!filter.only.empty() && !first_match(filter.only, target.branch)) {
    return {false, fmt::format("branch '{}' is not in general.branches.only ({})", target.branch,
                               describe_all(filter.only))};
  }
  if (const auto* ignored = first_match(filter.ignore, target.branch)) {
    return {false, fmt::format("branch '{}' is ignored by general.branches.ignore ({})", target.branch,
                               describe(*ignored))};
  }
  if (filter.only.empty() && filter.ignore.empty()) {
    return {true, "no branch filter"};
  }
  return {true, fmt::format("branch '{}' passes general.branches", target.branch)};
}

DeploymentChoice choose_deployment(const std::vector<config::Deployment>& sections, const BuildTarget& target)
{
  DeploymentChoice choice;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    const auto& section = sections[i];
    SectionDecision decision{section.name, false, ""};
    if (choice.selected) {
      decision.reason = fmt::format("an earlier section ('{}') already matched", sections[*choice.selected].name);
    } else if (const auto mismatch = ref_mismatch(section, target)) {
      decision.reason = *mismatch;
    } else if (section.owner && section.owner->value != target.owner) {
      decision.reason = fmt::format("owner '{}' is not '{}'", target.owner, section.owner->value);
    } else {
      decision.selected = true;
      decision.reason = match_reason(section, target);
      choice.selected = i;
    }
    choice.sections.push_back(std::move(decision));
  }
  return choice;
}

} // namespace drydock::graph
