#pragma once
// Diagnostics as JSON for editors and CI annotations.
#include <nlohmann/json.hpp>

#include <string>

#include "util/diagnostic.hpp"

namespace drydock::report {

// {"path": ..., "valid": bool, "errors": n, "warnings": n, "diagnostics": [
//   {"severity", "line", "column", "end_column", "message"}]}
nlohmann::json file_report_json(const std::string& path, const Diagnostics& diagnostics);
nlohmann::json unreadable_json(const std::string& path, const std::string& reason);

} // namespace drydock::report
