#include "report/json_report.hpp"

namespace drydock::report {

nlohmann::json file_report_json(const std::string& path, const Diagnostics& diagnostics)
{
  auto items = nlohmann::json::array();
  for (const auto& d : diagnostics.all()) {
    items.push_back({
        {"severity", d.severity == Severity::error ? "error" : "warning"},
        {"line", d.pos.line},
        {"column", d.pos.column},
        {"end_column", d.pos.column + d.length},
        {"message", d.message},
    });
  }
  return {
      {"path", path},
      {"valid", !diagnostics.has_errors()},
      {"errors", diagnostics.error_count()},
      {"warnings", diagnostics.warning_count()},
      {"diagnostics", std::move(items)},
  };
}

nlohmann::json unreadable_json(const std::string& path, const std::string& reason)
{
  return {
      {"path", path},
      {"valid", false},
      {"errors", 1},
      {"warnings", 0},
      {"diagnostics", nlohmann::json::array({{{"severity", "error"},
                                              {"line", 0},
                                              {"column", 0},
                                              {"end_column", 0},
                                              {"message", "cannot read the file: " + reason}}})},
  };
}

} // namespace drydock::report
