#pragma once
// `drydock agent --repos FILE`: the repositories of an agent that builds
// many, in YAML:
//
//   repos:
//     - url: /srv/git/app.git            # required: a URL or a path
//       branches: [main, "release/*"]    # globs; default: every branch
//       tags: ["v*"]                     # globs; default: none
//       secrets: app.env                 # NAME=value lines, masked
//
// Relative paths (a url that is a folder, secrets) are from the file's
// folder. Every problem is a diagnostic at FILE:LINE:COL.
#include <vector>

#include "agent/sources.hpp"
#include "util/diagnostic.hpp"
#include "util/source.hpp"

namespace drydock::agent {

std::vector<RepoSpec> read_repos_file(const SourceFile& source, Diagnostics& diags);

} // namespace drydock::agent
