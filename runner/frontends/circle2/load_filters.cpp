#include "frontends/circle2/load_filters.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <limits>
#include <optional>
#include <sstream>

#include "util/lines.hpp"

namespace drydock::circle2 {
namespace {

using config::join_path;
using config::Node;
using config::Reader;

RefFilter read_ref_filter(Reader& reader, const Node& node, std::string_view path)
{
  RefFilter filter;
  filter.given = true;
  static constexpr std::array<config::Field<RefFilter>, 2> kFields = {{
      {"only", [](Reader& r, const Node& v, std::string_view p, RefFilter& o) { o.only = r.read_patterns(v, p); }},
      {"ignore", [](Reader& r, const Node& v, std::string_view p, RefFilter& o) { o.ignore = r.read_patterns(v, p); }},
  }};
  config::read_fields<RefFilter>(reader, node, path, kFields, filter);
  // As CircleCI has it: a filter with neither only nor ignore lets nothing in
  // for tags (the tag rule) and everything for branches.
  filter.given = !filter.only.empty() || !filter.ignore.empty();
  return filter;
}

// ---- cron: POSIX crontab's five fields, with the common */N and A-B/N steps ----

struct CronField {
  std::string_view name;
  int low;
  int high;
};

constexpr std::array<CronField, 5> kCronFields = {{
    {"minute", 0, 59},
    {"hour", 0, 23},
    {"day of the month", 1, 31},
    {"month", 1, 12},
    {"day of the week", 0, 6},
}};

// Digits as a number; more than an int holds is the largest, which no field allows.
std::optional<int> number_of(std::string_view text)
{
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || text.front() < '0' || text.front() > '9' || end != text.data() + text.size()) {
    return std::nullopt; // no sign: 1--5 is not a range
  }
  if (error == std::errc::result_out_of_range) {
    return std::numeric_limits<int>::max();
  }
  return error == std::errc() ? std::optional<int>(value) : std::nullopt;
}

// Why one item of a field's list (*, N or A-B; * and A-B with an optional /STEP) is not one, or empty.
std::string cron_item_error(std::string_view item, const CronField& field)
{
  if (item.empty()) {
    return fmt::format("the {} has an empty item in its list", field.name);
  }
  const auto slash = item.find('/');
  const auto range = item.substr(0, slash);
  const auto dash = range.find('-');
  if (slash != std::string_view::npos) {
    const auto step = number_of(item.substr(slash + 1));
    if (range != "*" && dash == std::string_view::npos) {
      return fmt::format("the {} '{}' has a step after a single number: a step follows * or a range A-B", field.name,
                         item);
    }
    if (!step || *step < 1 || *step > field.high) {
      return fmt::format("the {}'s step in '{}' is not a number from 1 to {}", field.name, item, field.high);
    }
  }
  if (range == "*") {
    return "";
  }
  const auto first = number_of(range.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : number_of(range.substr(dash + 1));
  if (!first || !last) {
    return fmt::format("the {} '{}' is not *, a number or a range A-B", field.name, item);
  }
  if (*first < field.low || *last > field.high) {
    return fmt::format("the {} '{}' is not within {}-{}", field.name, item, field.low, field.high);
  }
  if (*first > *last) {
    return fmt::format("the {} range '{}' starts after it ends", field.name, item);
  }
  return "";
}

std::string cron_field_error(std::string_view text, const CronField& field)
{
  for (const auto item : util::split(text, ',')) {
    if (auto error = cron_item_error(item, field); !error.empty()) {
      return error;
    }
  }
  return "";
}

// A schedule's filters: the branches it runs on (required, as CircleCI has it).
RefFilter read_schedule_filters(Reader& reader, const Node& key, const Node& node, std::string_view path)
{
  RefFilter branches;
  static constexpr std::array<config::Field<RefFilter>, 1> kFields = {{
      {"branches", [](Reader& r, const Node& v, std::string_view p, RefFilter& o) { o = read_ref_filter(r, v, p); }},
  }};
  static constexpr std::array<config::KeyHint, 1> kHints = {{
      {"tags", "a schedule runs on branches' latest commits, never for a tag: only 'branches' filters it"},
  }};
  config::read_fields<RefFilter>(reader, node, path, kFields, branches, kHints);
  if (node.is_mapping()) {
    config::require_keys(reader, node, key, path, {"branches"});
  }
  return branches;
}

std::optional<Schedule> read_schedule(Reader& reader, const Node& node, std::string_view path)
{
  if (!reader.expect_mapping(node, path)) {
    return std::nullopt;
  }
  Schedule schedule;
  for (const auto& entry : node.entries) {
    const Node& key = *entry.key;
    const auto key_path = join_path(path, key.text);
    if (key.is_scalar() && key.text == "cron") {
      if (auto cron = reader.read_string(*entry.value, key_path)) {
        if (auto error = cron_error(cron->value); !error.empty()) {
          reader.error(*entry.value, fmt::format("'{}': {}", key_path, error));
        }
        schedule.cron = std::move(*cron);
      }
    } else if (key.is_scalar() && key.text == "filters") {
      schedule.branches = read_schedule_filters(reader, key, *entry.value, key_path);
    } else {
      static constexpr std::array kKnown = {std::string_view("cron"), std::string_view("filters")};
      config::report_unknown_key(reader, key, path, kKnown, {});
    }
  }
  config::require_keys(reader, node, node, path, {"cron", "filters"});
  return schedule;
}

} // namespace

std::string cron_error(std::string_view cron)
{
  std::istringstream words{std::string(cron)};
  std::vector<std::string> fields;
  for (std::string word; words >> word;) {
    fields.push_back(word);
  }
  if (fields.size() != kCronFields.size()) {
    return fmt::format("'{}' has {} fields: a schedule is five, minute hour day-of-month month day-of-week "
                       "(POSIX crontab, such as \"0 3 * * 1-5\")",
                       cron, fields.size());
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (auto error = cron_field_error(fields[i], kCronFields[i]); !error.empty()) {
      return error;
    }
  }
  return "";
}

Filters read_filters(Reader& reader, const Node& node, std::string_view path)
{
  Filters filters;
  static constexpr std::array<config::Field<Filters>, 2> kFields = {{
      {"branches",
       [](Reader& r, const Node& v, std::string_view p, Filters& o) { o.branches = read_ref_filter(r, v, p); }},
      {"tags", [](Reader& r, const Node& v, std::string_view p, Filters& o) { o.tags = read_ref_filter(r, v, p); }},
  }};
  config::read_fields<Filters>(reader, node, path, kFields, filters);
  return filters;
}

std::vector<Schedule> read_triggers(Reader& reader, const Node& node, std::string_view path)
{
  std::vector<Schedule> schedules;
  if (!node.is_sequence() || node.items.empty()) { // none would make a scheduled workflow run on every push
    reader.error(node, fmt::format("'{}' must be a list of one or more triggers (- schedule: ...)", path));
    return schedules;
  }
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = *node.items[i];
    const auto item_path = config::index_path(path, i);
    if (!reader.expect_mapping(item, item_path)) {
      continue;
    }
    for (const auto& entry : item.entries) {
      static constexpr std::array kKnown = {std::string_view("schedule")};
      if (!entry.key->is_scalar() || entry.key->text != "schedule") {
        config::report_unknown_key(reader, *entry.key, item_path, kKnown, {});
      } else if (auto schedule = read_schedule(reader, *entry.value, join_path(item_path, "schedule"))) {
        schedules.push_back(std::move(*schedule));
      }
    }
    config::require_keys(reader, item, item, item_path, {"schedule"});
  }
  return schedules;
}

} // namespace drydock::circle2
