#pragma once
// How long each test took in a run's stored JUnit files, as the table the
// `circleci` stand-in's `tests split --split-by=timings` reads: lines of
// KIND\tNAME\tMILLISECONDS, KIND one of filename (a testcase's `file`),
// classname and testname, each the sum over the testcases of that name.
// Pure: the files come in.
#include <string>
#include <vector>

#include "record/junit.hpp"

namespace drydock::record {

// The table, sorted by kind and name; names with a tab or a line break, and
// files that are not XML, are left out.
std::string timings_table(const std::vector<StoredJunit>& files);

} // namespace drydock::record
