#include "os/glob.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace drydock::os {
namespace {

bool has_wildcard(std::string_view segment) { return segment.find_first_of("*?[") != std::string_view::npos; }

bool is_hidden(const fs::directory_entry& entry) { return entry.path().filename().string().starts_with('.'); }

std::vector<std::string> split(const std::string& pattern)
{
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= pattern.size()) {
    const auto slash = pattern.find('/', start);
    const auto part = pattern.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) {
      parts.push_back(part);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  return parts;
}

// Matches the remaining segments from `dir`, adding relative paths to out.
void match(const fs::path& dir, const std::string& rel, const std::vector<std::string>& parts, std::size_t at,
           std::vector<std::string>& out)
{
  std::error_code ec;
  if (at == parts.size()) {
    if (!rel.empty() && fs::exists(dir, ec)) {
      out.push_back(rel);
    }
    return;
  }
  const auto join = [&](const std::string& name) { return rel.empty() ? name : rel + "/" + name; };
  const std::string& part = parts[at];
  if (part == "**") {
    match(dir, rel, parts, at + 1, out); // zero directories
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      // Hidden directories (.git, .venv) are not descended into, as in Ruby
      // and Python; a later segment naming one (**/.github) still matches.
      if (!is_hidden(entry) && entry.is_directory(ec) && !entry.is_symlink(ec)) {
        match(entry.path(), join(entry.path().filename().string()), parts, at, out);
      }
    }
    return;
  }
  if (!has_wildcard(part)) {
    match(dir / part, join(part), parts, at + 1, out);
    return;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    // FNM_PERIOD: a hidden name matches only a segment that starts with a dot.
    if (fnmatch(part.c_str(), name.c_str(), FNM_PERIOD) == 0) {
      match(entry.path(), join(name), parts, at + 1, out);
    }
  }
}

} // namespace

std::vector<std::string> expand_glob(const std::string& base_dir, const std::string& pattern)
{
  std::vector<std::string> out;
  const bool absolute = pattern.starts_with('/');
  match(absolute ? fs::path("/") : fs::path(base_dir), "", split(pattern), 0, out);
  if (absolute) {
    for (auto& path : out) {
      path.insert(0, "/");
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace drydock::os
