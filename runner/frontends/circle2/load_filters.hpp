#pragma once
// The readers of what decides whether a workflow's jobs run: a job entry's
// `filters` (branches and tags) and a workflow's `triggers` (CircleCI's
// scheduled workflows: a cron schedule and the branches it runs on).
#include <string_view>
#include <vector>

#include "config/reader.hpp"
#include "frontends/circle2/model.hpp"

namespace drydock::circle2 {

Filters read_filters(config::Reader& reader, const config::Node& node, std::string_view path);

// `triggers: [{schedule: {cron: "0 3 * * *", filters: {branches: ...}}}]`.
std::vector<Schedule> read_triggers(config::Reader& reader, const config::Node& node, std::string_view path);

// Why `cron` is not a five-field POSIX crontab schedule, or empty.
std::string cron_error(std::string_view cron);

} // namespace drydock::circle2
