#include "record/test_timings.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>

#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

namespace drydock::record {
namespace {

using Table = std::map<std::pair<std::string, std::string>, double>; // (kind, name) -> seconds

bool fits_a_line(const std::string& name) { return !name.empty() && name.find_first_of("\t\r\n") == std::string::npos; }

// A `file` as a glob gives it: tests/a.py, not ./tests/a.py.
std::string as_listed(std::string file)
{
  while (file.starts_with("./")) {
    file.erase(0, 2);
  }
  return file;
}

void add(Table& table, const char* kind, const std::string& name, double seconds)
{
  if (fits_a_line(name)) {
    table[{kind, name}] += seconds;
  }
}

void add_testcases(pugi::xml_node node, Table& table)
{
  for (const auto testcase : node.select_nodes(".//testcase")) {
    const auto test = testcase.node();
    const char* time = test.attribute("time").as_string("0");
    char* end = nullptr;
    const double seconds = std::strtod(time, &end);
    // A whole number of seconds, never "1,5" read as 1 nor a time past a year (a broken reporter).
    constexpr double kMostSeconds = 366.0 * 24 * 3600;
    if (end == time || *end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > kMostSeconds) {
      continue;
    }
    // A reporter that names no file on the testcase may on its suite.
    std::string file = test.attribute("file").as_string();
    if (file.empty()) {
      file = test.parent().attribute("file").as_string();
    }
    add(table, "filename", as_listed(file), seconds);
    add(table, "classname", test.attribute("classname").as_string(), seconds);
    add(table, "testname", test.attribute("name").as_string(), seconds);
  }
}

} // namespace

std::string timings_table(const std::vector<StoredJunit>& files)
{
  Table table;
  for (const auto& file : files) {
    pugi::xml_document document;
    if (document.load_buffer(file.text.data(), file.text.size())) {
      add_testcases(document.root(), table);
    }
  }
  std::string out;
  for (const auto& [key, seconds] : table) {
    out += fmt::format("{}\t{}\t{}\n", key.first, key.second, std::llround(seconds * 1000));
  }
  return out;
}

} // namespace drydock::record
