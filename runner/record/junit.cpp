#include "record/junit.hpp"

#include <fmt/format.h>
#include <pugixml.hpp>
#include <tl/expected.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <cstdio>
#include <sstream>

#include "record/safe_text.hpp"

namespace drydock::record {
namespace {

struct Counts {
  std::int64_t tests = 0;
  std::int64_t failures = 0;
  std::int64_t errors = 0;
  std::int64_t skipped = 0;
  std::int64_t time_ms = 0;

  Counts& operator+=(const Counts& other)
  {
    tests += other.tests;
    failures += other.failures;
    errors += other.errors;
    skipped += other.skipped;
    time_ms += other.time_ms;
    return *this;
  }
};

std::string seconds_text(std::int64_t ms) { return fmt::format("{}.{:03}", ms / 1000, ms % 1000); }

void set(pugi::xml_node node, const char* name, const std::string& value)
{
  node.append_attribute(name).set_value(safe_text(value).c_str());
}

void set_counts(pugi::xml_node node, const Counts& counts)
{
  set(node, "tests", std::to_string(counts.tests));
  set(node, "failures", std::to_string(counts.failures));
  set(node, "errors", std::to_string(counts.errors));
  set(node, "skipped", std::to_string(counts.skipped));
  set(node, "time", seconds_text(counts.time_ms));
}

std::string failure_message(const StepHistory& step)
{
  std::string message = fmt::format("exit code {}", step.exit_code);
  if (step.signal) {
    message += fmt::format(" (signal {})", *step.signal);
  }
  return step.message.empty() ? message : message + ": " + step.message;
}

std::string failure_type(const StepHistory& step)
{
  return step.timed_out ? "timeout" : step.signal ? "signal" : "exit";
}

// The testcase's outcome element, and what it adds to the counts.
Counts add_outcome(pugi::xml_node testcase, const StepHistory& step, const LogLines& log_lines)
{
  Counts counts{1, 0, 0, 0, step.duration_ms};
  if (step.status == "failed") {
    auto failure = testcase.append_child("failure");
    set(failure, "message", failure_message(step));
    set(failure, "type", failure_type(step));
    failure.text().set(safe_text(log_lines(step)).c_str());
    counts.failures = 1;
  } else if (step.status == "skipped" || step.status == "not run") {
    set(testcase.append_child("skipped"), "message", step.message.empty() ? step.status : step.message);
    counts.skipped = 1;
  } else if (step.status == "unfinished") {
    auto error = testcase.append_child("error");
    set(error, "message", "did not finish: the run ended first");
    set(error, "type", "unfinished");
    counts.errors = 1;
  }
  return counts;
}

Counts add_testcase(pugi::xml_node suite, const StepHistory& step, const LogLines& log_lines)
{
  auto testcase = suite.append_child("testcase");
  set(testcase, "name", step.name.empty() ? step.id : step.name);
  set(testcase, "classname", step.group.empty() ? "steps" : step.group);
  set(testcase, "time", seconds_text(step.duration_ms));
  return add_outcome(testcase, step, log_lines);
}

// The phases in the order their first step comes.
std::vector<std::string> groups_of(const RunHistory& history)
{
  std::vector<std::string> groups;
  for (const auto& step : history.steps) {
    const std::string group = step.group.empty() ? "steps" : step.group;
    if (std::find(groups.begin(), groups.end(), group) == groups.end()) {
      groups.push_back(group);
    }
  }
  return groups;
}

Counts add_step_suite(pugi::xml_node root, const RunHistory& history, const std::string& group,
                      const LogLines& log_lines)
{
  auto suite = root.append_child("testsuite");
  set(suite, "name", group);
  Counts counts;
  std::optional<std::int64_t> first_start;
  std::vector<const StepHistory*> steps;
  for (const auto& step : history.steps) {
    if ((step.group.empty() ? "steps" : step.group) == group) {
      steps.push_back(&step);
      first_start = step.started_ms && (!first_start || *step.started_ms < *first_start) ? step.started_ms
                                                                                         : first_start;
    }
  }
  const auto timestamp = timestamp_after(history.started_at, first_start.value_or(0));
  for (const auto* step : steps) {
    counts += add_testcase(suite, *step, log_lines);
  }
  set_counts(suite, counts);
  if (!timestamp.empty()) {
    set(suite, "timestamp", timestamp);
  }
  return counts;
}

std::int64_t count_attribute(pugi::xml_node suite, const char* name, const char* child)
{
  if (const auto attribute = suite.attribute(name)) {
    return attribute.as_llong();
  }
  std::int64_t count = 0;
  for (const auto testcase : suite.children("testcase")) {
    count += child == nullptr || testcase.child(child) ? 1 : 0;
  }
  return count;
}

Counts counts_of(pugi::xml_node suite)
{
  return {count_attribute(suite, "tests", nullptr), count_attribute(suite, "failures", "failure"),
          count_attribute(suite, "errors", "error"), count_attribute(suite, "skipped", "skipped"),
          std::llround(suite.attribute("time").as_double() * 1000)};
}

// A parser takes what no XML 1.0 document may hold (character references to
// control characters, say): made safe before it is written out again.
void make_safe(pugi::xml_node node)
{
  for (auto attribute : node.attributes()) {
    attribute.set_value(safe_text(attribute.value()).c_str());
  }
  if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) {
    node.set_value(safe_text(node.value()).c_str());
  }
  for (auto child : node.children()) {
    make_safe(child);
  }
}

// The suite's counts where the file left them out, so they add up to the root's.
void complete_counts(pugi::xml_node suite, const Counts& counts)
{
  const std::pair<const char*, std::string> fields[] = {{"tests", std::to_string(counts.tests)},
                                                        {"failures", std::to_string(counts.failures)},
                                                        {"errors", std::to_string(counts.errors)},
                                                        {"skipped", std::to_string(counts.skipped)},
                                                        {"time", seconds_text(counts.time_ms)}};
  for (const auto& [name, value] : fields) {
    if (!suite.attribute(name)) {
      set(suite, name, value);
    }
  }
}

Counts merge_suite(pugi::xml_node root, pugi::xml_node suite)
{
  auto copy = root.append_copy(suite);
  make_safe(copy);
  const Counts counts = counts_of(copy);
  complete_counts(copy, counts);
  return counts;
}

// A stored file's suites under the root; an error when it is no JUnit XML.
tl::expected<Counts, std::string> merge_file(pugi::xml_node root, const StoredJunit& file)
{
  pugi::xml_document doc;
  const auto parsed = doc.load_buffer(file.text.data(), file.text.size());
  if (!parsed) {
    return tl::unexpected(fmt::format("{} at byte {}", parsed.description(), parsed.offset));
  }
  const auto top = doc.document_element();
  Counts counts;
  if (std::string_view(top.name()) == "testsuite") {
    counts += merge_suite(root, top);
  } else if (std::string_view(top.name()) == "testsuites") {
    for (const auto suite : top.children("testsuite")) {
      counts += merge_suite(root, suite);
    }
  } else {
    return tl::unexpected(fmt::format("its root is <{}>, not <testsuites> or <testsuite>", top.name()));
  }
  return counts;
}

} // namespace

std::string timestamp_after(const std::string& started_at, std::int64_t ms)
{
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  char zone = 0;
  if (std::sscanf(started_at.c_str(), "%4d-%2u-%2uT%2d:%2d:%2d%c", &year, &month, &day, &hour, &minute, &second, &zone)
          != 7
      || zone != 'Z') {
    return {};
  }
  namespace chrono = std::chrono;
  const chrono::year_month_day date{chrono::year(year), chrono::month(month), chrono::day(day)};
  if (!date.ok()) {
    return {};
  }
  const auto at = chrono::sys_days(date) + chrono::hours(hour) + chrono::minutes(minute) + chrono::seconds(second)
                  + chrono::milliseconds(ms);
  const auto day_of = chrono::floor<chrono::days>(at);
  const chrono::year_month_day then(day_of);
  const chrono::hh_mm_ss time(chrono::floor<chrono::seconds>(at - day_of));
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(then.year()),
                     static_cast<unsigned>(then.month()), static_cast<unsigned>(then.day()), time.hours().count(),
                     time.minutes().count(), time.seconds().count());
}

JunitReport junit_xml(const RunHistory& history, const LogLines& log_lines, const std::vector<StoredJunit>& stored)
{
  pugi::xml_document doc;
  auto declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  auto root = doc.append_child("testsuites");
  set(root, "name", fmt::format("drydock build {}", history.build));
  Counts total;
  for (const auto& group : groups_of(history)) {
    total += add_step_suite(root, history, group, log_lines);
  }
  JunitReport report;
  for (const auto& file : stored) {
    if (auto counts = merge_file(root, file)) {
      total += *counts;
    } else {
      report.warnings.push_back(
          fmt::format("test-results/{}: not merged into junit.xml: {}", file.path, counts.error()));
    }
  }
  set_counts(root, total);
  if (const auto timestamp = timestamp_after(history.started_at, 0); !timestamp.empty()) {
    set(root, "timestamp", timestamp);
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  report.xml = out.str();
  return report;
}

} // namespace drydock::record
