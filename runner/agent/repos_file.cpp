#include "agent/repos_file.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "config/yaml_tree.hpp"
#include "util/spelling.hpp"

namespace fs = std::filesystem;

namespace drydock::agent {
namespace {

using config::Node;

// A path of the file relative to its folder; a URL as it is.
std::string from_file_folder(const SourceFile& source, const std::string& value)
{
  if (value.find("://") != std::string::npos || value.empty() || value.front() == '/') {
    return value;
  }
  const auto candidate = (fs::absolute(source.path()).parent_path() / value).lexically_normal();
  std::error_code ec;
  const bool scp_like = value.find(':') != std::string::npos && value.find(':') < value.find('/');
  return scp_like && !fs::exists(candidate, ec) ? value : candidate.string();
}

std::vector<std::string> globs(const Node& node, std::string_view key, Diagnostics& diags)
{
  std::vector<std::string> values;
  if (!node.is_sequence()) {
    diags.error(node.pos, fmt::format("{} must be a list of globs, not {}", key, config::describe_kind(node)));
    return values;
  }
  for (const auto& item : node.items) {
    if (!item->is_scalar() || item->text.empty()) {
      diags.error(item->pos, fmt::format("each of {} must be a glob, not {}", key, config::describe_kind(*item)));
      continue;
    }
    values.push_back(item->text);
  }
  return values;
}

std::optional<std::string> text_of(const Node& node, std::string_view key, Diagnostics& diags)
{
  if (!node.is_scalar() || node.text.empty()) {
    diags.error(node.pos, fmt::format("{} must be a string, not {}", key, config::describe_kind(node)));
    return std::nullopt;
  }
  return node.text;
}

// One key of a repository's mapping into the spec.
void read_key(const SourceFile& source, const config::Entry& entry, RepoSpec& spec, Diagnostics& diags)
{
  const auto& key = entry.key->text;
  const auto& value = *entry.value;
  if (key == "url") {
    spec.url = from_file_folder(source, text_of(value, key, diags).value_or(""));
  } else if (key == "branches") {
    spec.branches = globs(value, key, diags);
  } else if (key == "tags") {
    spec.tags = globs(value, key, diags);
  } else if (key == "secrets") {
    spec.secrets_file = from_file_folder(source, text_of(value, key, diags).value_or(""));
  } else {
    const std::vector<std::string_view> keys{"url", "branches", "tags", "secrets"};
    const auto likely = closest_match(key, keys);
    diags.error(entry.key->pos,
                likely ? fmt::format("unknown key '{}'; did you mean '{}'?", key, *likely)
                       : fmt::format("unknown key '{}' (a repository has url, branches, tags, secrets)", key),
                static_cast<int>(key.size()));
  }
}

std::optional<RepoSpec> read_repo(const SourceFile& source, const Node& node, Diagnostics& diags)
{
  if (!node.is_mapping()) {
    diags.error(node.pos,
                fmt::format("a repository must be a mapping with a url, not {}", config::describe_kind(node)));
    return std::nullopt;
  }
  RepoSpec spec;
  for (const auto& entry : node.entries) {
    read_key(source, entry, spec, diags);
  }
  if (node.find("url") == nullptr) {
    diags.error(node.pos, "this repository has no url");
    return std::nullopt;
  }
  spec.name = repo_name_of(spec.url);
  if (spec.name.empty() && !spec.url.empty()) {
    diags.error(node.find("url")->pos, fmt::format("no repository name in '{}'", spec.url));
  }
  return spec;
}

} // namespace

std::vector<RepoSpec> read_repos_file(const SourceFile& source, Diagnostics& diags)
{
  const auto root = config::parse_yaml(source, diags);
  std::vector<RepoSpec> repos;
  if (!root) {
    return repos;
  }
  const Node* list = root->is_mapping() ? root->find("repos") : nullptr;
  if (list == nullptr || !list->is_sequence() || list->items.empty()) {
    diags.error(list != nullptr ? list->pos : root->pos, "the file must have `repos:`, a list of repositories");
    return repos;
  }
  for (const auto& entry : root->entries) {
    if (entry.key->text != "repos") {
      diags.error(entry.key->pos, fmt::format("unknown key '{}' (the file has repos:)", entry.key->text),
                  static_cast<int>(entry.key->text.size()));
    }
  }
  for (const auto& item : list->items) {
    if (auto spec = read_repo(source, *item, diags)) {
      repos.push_back(std::move(*spec));
    }
  }
  diags.sort_by_position();
  return repos;
}

} // namespace drydock::agent
