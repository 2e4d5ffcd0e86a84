#pragma once
// What is written from a finished run's events: junit.xml, trace.json and
// report.html, each read from record_dir/events.jsonl, the logs and the JUnit
// files under test-results/, nothing else, so a record replayed gives the
// same files byte for byte. Each file goes in under a temporary name and is
// renamed into place (no partial report), without fsync: a report lost to a
// crash is written again by `drydock internal report DIR`.
#include <string>
#include <vector>

#include "record/junit.hpp"

namespace drydock::record {

// Every *.xml under a record's test-results/, in path order.
std::vector<StoredJunit> stored_junit_files(const std::string& test_results);

// Writes the three reports of the record in `record_dir`; warnings (a stored
// JUnit file that is not merged, a file that cannot be written), never a
// failure of the run.
std::vector<std::string> write_reports(const std::string& record_dir);

} // namespace drydock::record
