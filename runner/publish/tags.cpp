#include "publish/tags.hpp"

#include <fmt/format.h>

#include "util/regex.hpp"

namespace drydock::publish {
namespace {

// docker/distribution's reference grammar (reference/regexp.go).
const std::string kAlphaNumeric = "[a-z0-9]+";
const std::string kSeparator = "(?:[._]|__|[-]*)";
const std::string kPathComponent = kAlphaNumeric + "(?:" + kSeparator + kAlphaNumeric + ")*";
const std::string kDomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const std::string kDomain = kDomainComponent + "(?:\\." + kDomainComponent + ")*(?::[0-9]+)?";
const std::string kName = "(?:" + kDomain + "/)?" + kPathComponent + "(?:/" + kPathComponent + ")*";
const std::string kTag = "[\\w][\\w.-]{0,127}";
const std::string kDigest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

// The grammars are fixed, so they compile (the tests use each); RE2 keeps a
// hostile 100 KB name linear instead of deep in std::regex's recursion.
util::CompiledRegex fixed_regex(const std::string& pattern) { return util::compile_regex(pattern).value(); }

const util::CompiledRegex& reference_regex()
{
  static const auto regex = fixed_regex("(" + kName + ")(?::(" + kTag + "))?(?:@(" + kDigest + "))?");
  return regex;
}

const util::CompiledRegex& name_regex()
{
  static const auto regex = fixed_regex(kName);
  return regex;
}

const util::CompiledRegex& tag_regex()
{
  static const auto regex = fixed_regex(kTag);
  return regex;
}

// DCD strips `[.-]?\w+$` from the end, one part at a time: the shortest
// head before such a tail is what the leftmost match leaves.
std::string strip_last_part(const std::string& version)
{
  static const auto last_part = fixed_regex("(?s)(.*?)[.-]?\\w+");
  const auto groups = last_part.full_match_groups(version);
  return groups ? std::string(groups->at(0).value_or("")) : version;
}

std::string join_tag(const std::string& name, const std::optional<std::string>& tag)
{
  return tag && !tag->empty() ? name + ":" + *tag : name;
}

} // namespace

tl::expected<ImageRef, std::string> split_image_tag(const std::string& image)
{
  const auto groups = reference_regex().full_match_groups(image);
  if (!groups) {
    return tl::unexpected(fmt::format("unable to parse image tag '{}'", image));
  }
  ImageRef ref{std::string(groups->at(0).value_or("")), std::nullopt};
  if (const auto tag = groups->at(1)) {
    ref.tag = std::string(*tag);
  }
  return ref;
}

bool valid_name(const std::string& name) { return name_regex().full_match(name); }

std::string with_registry(const std::string& name, const std::string& registry)
{
  std::string joined = registry + "/" + name;
  if (valid_name(joined)) {
    return joined;
  }
  const auto slash = name.find('/');
  return slash == std::string::npos ? joined : registry + "/" + name.substr(slash + 1);
}

tl::expected<std::vector<std::string>, std::string> semver_versions(const std::string& version, int precision,
                                                                    bool zero)
{
  std::vector<std::string> parts;
  std::string rest = version;
  while (!rest.empty()) {
    parts.push_back(rest);
    const std::string shorter = strip_last_part(rest);
    if (shorter == rest) {
      return tl::unexpected(fmt::format("the version '{}' has a part drydock cannot split off: '{}'", version, rest));
    }
    rest = shorter;
  }
  precision = std::max(precision, 1);
  if (static_cast<std::size_t>(precision) > parts.size()) {
    return tl::unexpected(fmt::format("the minimum precision ({}) is greater than the precision of version '{}' ({})",
                                      precision, version, parts.size()));
  }
  parts.resize(parts.size() - static_cast<std::size_t>(precision - 1));
  if (!zero && parts.size() > 1 && parts.back() == "0") {
    parts.pop_back();
  }
  return parts;
}

std::vector<std::string> version_tags(const std::optional<std::string>& tag, const std::vector<std::string>& versions,
                                      bool latest)
{
  // Versions are longest first; a tag that already holds one loses it.
  std::optional<std::string> stripped = tag;
  if (tag) {
    for (const auto& version : versions) {
      if (*tag == version) {
        stripped = "";
        break;
      }
      if (tag->starts_with(version + "-")) {
        stripped = tag->substr(version.size() + 1);
        break;
      }
    }
  }
  std::vector<std::string> out;
  if (stripped && !stripped->empty() && *stripped != "latest") {
    for (const auto& version : versions) {
      out.push_back(version + "-" + *stripped);
    }
  } else {
    out = versions;
  }
  if (latest) {
    out.push_back(stripped && !stripped->empty() ? *stripped : "latest");
  }
  return out;
}

tl::expected<void, std::string> check_options(const TagOptions& options)
{
  const bool has_version = options.version && !options.version->empty();
  if (options.latest && !has_version) {
    return tl::unexpected(std::string("the --version-latest option requires --version"));
  }
  if (options.semver && !has_version) {
    return tl::unexpected(std::string("the --version-semver option requires --version"));
  }
  if (options.precision && !options.semver) {
    return tl::unexpected(std::string("the --semver-precision option requires --version-semver"));
  }
  if (options.zero && !options.semver) {
    return tl::unexpected(std::string("the --semver-zero option requires --version-semver"));
  }
  if (options.precision.value_or(1) < 0) {
    return tl::unexpected(std::string("the --semver-precision option must not be negative"));
  }
  return {};
}

namespace {

struct Prepared {
  std::vector<std::string> versions; // empty: no --version
  std::vector<std::string> notes;
};

tl::expected<Prepared, std::string> prepare_versions(const TagOptions& options)
{
  Prepared prepared;
  if (!options.version || options.version->empty()) {
    return prepared;
  }
  std::string version = *options.version;
  // Docker tags cannot hold '+': build metadata goes (DCD loops forever on it).
  if (const auto plus = version.find('+'); plus != std::string::npos) {
    prepared.notes.push_back(fmt::format("dropped the build metadata '{}' from version '{}': docker tags cannot hold "
                                         "'+'",
                                         version.substr(plus), version));
    version.erase(plus);
  }
  if (version.empty()) {
    return tl::unexpected(fmt::format("the version '{}' is only build metadata", *options.version));
  }
  if (options.semver) {
    auto versions = semver_versions(version, options.precision.value_or(1), options.zero);
    if (!versions) {
      return tl::unexpected(versions.error());
    }
    prepared.versions = std::move(*versions);
  } else {
    prepared.versions = {version};
  }
  return prepared;
}

tl::expected<void, std::string> add_image(TagPlan& plan, const std::string& source, const std::string& name,
                                          const std::optional<std::string>& source_tag, const TagOptions& options,
                                          const Prepared& prepared)
{
  std::vector<std::optional<std::string>> base_tags;
  if (!options.tags.empty()) {
    base_tags.assign(options.tags.begin(), options.tags.end());
  } else {
    base_tags = {source_tag};
  }
  const std::string target_name = options.registry ? with_registry(name, *options.registry) : name;
  for (const auto& base : base_tags) {
    std::vector<std::optional<std::string>> tags;
    if (prepared.versions.empty()) {
      tags = {base};
    } else {
      for (auto& tag : version_tags(base, prepared.versions, options.latest)) {
        tags.emplace_back(std::move(tag));
      }
    }
    for (const auto& tag : tags) {
      if (tag && !tag->empty() && !tag_regex().full_match(*tag)) {
        return tl::unexpected(fmt::format("'{}' is not a valid docker tag", *tag));
      }
      const std::string target = join_tag(target_name, tag);
      plan.tags.push_back({source, target, source == target});
      plan.pushes.push_back(target);
    }
  }
  return {};
}

} // namespace

tl::expected<TagPlan, std::string> plan_tags(const std::vector<std::string>& images, const TagOptions& options)
{
  if (auto checked = check_options(options); !checked) {
    return tl::unexpected(checked.error());
  }
  const auto prepared = prepare_versions(options);
  if (!prepared) {
    return tl::unexpected(prepared.error());
  }
  TagPlan plan;
  plan.notes = prepared->notes;
  for (const auto& image : images) {
    const auto ref = split_image_tag(image);
    if (!ref) {
      return tl::unexpected(ref.error());
    }
    if (auto added = add_image(plan, image, ref->name, ref->tag, options, *prepared); !added) {
      return tl::unexpected(added.error());
    }
  }
  return plan;
}

tl::expected<TagPlan, std::string> plan_tags_from(const std::string& source, const std::string& name,
                                                  const TagOptions& options)
{
  if (auto checked = check_options(options); !checked) {
    return tl::unexpected(checked.error());
  }
  if (!valid_name(name)) {
    return tl::unexpected(fmt::format("unable to parse image name '{}'", name));
  }
  const auto prepared = prepare_versions(options);
  if (!prepared) {
    return tl::unexpected(prepared.error());
  }
  TagPlan plan;
  plan.notes = prepared->notes;
  if (auto added = add_image(plan, source, name, std::nullopt, options, *prepared); !added) {
    return tl::unexpected(added.error());
  }
  return plan;
}

std::vector<std::string> dry_run_lines(const TagPlan& plan, const std::string& executable, bool verbose)
{
  std::vector<std::string> lines;
  for (const auto& tag : plan.tags) {
    if (tag.self) {
      if (verbose) {
        lines.push_back(fmt::format("Not tagging \"{}\" as itself", tag.source));
      }
      continue;
    }
    if (verbose) {
      lines.push_back(fmt::format(R"(Tagging "{}" as "{}"...)", tag.source, tag.target));
    }
    lines.push_back(fmt::format("{} tag {} {}", executable, tag.source, tag.target));
  }
  for (const auto& target : plan.pushes) {
    if (verbose) {
      lines.push_back(fmt::format("Pushing tag \"{}\"...", target));
    }
    lines.push_back(fmt::format("{} push {}", executable, target));
  }
  return lines;
}

} // namespace drydock::publish
