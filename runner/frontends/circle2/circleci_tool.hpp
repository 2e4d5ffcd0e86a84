#pragma once
// The `circleci` command CircleCI puts in every job, as far as a job run
// here needs it: `circleci tests glob`, `circleci tests split` (by name,
// by file size; by timings falls back to names), `circleci env subst` and
// `circleci step halt` (the step's shell reads what it leaves: shell_of).
// A POSIX sh script (find, sort and awk), so it runs in any image.
#include "pipeline/pipeline.hpp"

namespace drydock::circle2 {

pipeline::Tool circleci_tool();

} // namespace drydock::circle2
