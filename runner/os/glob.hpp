#pragma once
// File globs for `files:` modifiers and image inputs: *, ?, [...] within a
// path segment, and ** for any number of directories (Ruby's Dir.glob, as
// circle.yml used it). Results are sorted, relative to the base directory.
#include <string>
#include <vector>

namespace drydock::os {

std::vector<std::string> expand_glob(const std::string& base_dir, const std::string& pattern);

} // namespace drydock::os
