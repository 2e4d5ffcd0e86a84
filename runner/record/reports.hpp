#pragma once
// What is written from a finished run's events: junit.xml, trace.json and
// report.html (issue 15, later). write_reports is where their writers go;
// each reads record_dir/events.jsonl and the logs, nothing else.
#include <string>

namespace drydock::record {

// Writes the reports of the record in `record_dir`. None exists yet.
inline void write_reports(const std::string& /*record_dir*/) {}

} // namespace drydock::record
