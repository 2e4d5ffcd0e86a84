#include "record/html_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <unordered_map>

#include "record/safe_text.hpp"

namespace drydock::record {
namespace {

using Json = nlohmann::ordered_json;

// Indexes of steps named by id (needs, released_by), unknown ids left out.
Json indexes_of(const std::vector<std::string>& ids, const std::unordered_map<std::string, std::size_t>& index_of)
{
  Json indexes = Json::array();
  for (const auto& id : ids) {
    if (const auto found = index_of.find(id); found != index_of.end()) {
      indexes.push_back(found->second);
    }
  }
  return indexes;
}

// What went wrong or right, with only the fields that say something: at
// 10,000 steps every default left out is a few hundred KiB less.
void add_outcome(Json& entry, const StepHistory& step)
{
  entry["status"] = step.status;
  if (step.finished_ms) {
    entry["exit"] = step.exit_code;
    entry["ms"] = step.duration_ms;
  }
  if (step.signal) {
    entry["signal"] = *step.signal;
  }
  if (step.timed_out) {
    entry["timed_out"] = true;
  }
  if (!step.message.empty()) {
    entry["message"] = step.message;
  }
}

void add_times(Json& entry, const Timeline& timeline, std::size_t step)
{
  if (timeline.bar_of[step] < 0) {
    return;
  }
  const Bar& bar = timeline.bars[static_cast<std::size_t>(timeline.bar_of[step])];
  entry["start"] = bar.start_ms;
  entry["end"] = bar.end_ms;
  entry["lane"] = bar.lane;
  if (timeline.critical[step]) {
    entry["critical"] = true;
  }
}

Json step_entry(const StepHistory& step, const Timeline& timeline,
                const std::unordered_map<std::string, std::size_t>& index_of)
{
  Json entry = {{"i", step.index},     {"id", step.id},     {"name", step.name},
                {"group", step.group}, {"kind", step.kind}, {"runs_in", step.runs_in}};
  if (step.background) {
    entry["background"] = true;
  }
  add_outcome(entry, step);
  add_times(entry, timeline, step.index);
  entry["needs"] = indexes_of(step.needs, index_of);
  entry["released_by"] = indexes_of(step.released_by, index_of);
  return entry;
}

// Failed and unfinished steps first: their logs are what a reader opens.
std::vector<std::size_t> log_order(const RunHistory& history)
{
  std::vector<std::size_t> order(history.steps.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  const auto failing = [&](std::size_t i) {
    return history.steps[i].status == "failed" || history.steps[i].status == "unfinished";
  };
  std::stable_partition(order.begin(), order.end(), failing);
  return order;
}

void add_logs(Json& steps, const RunHistory& history, const LogTails& log_tails, const HtmlLimits& limits)
{
  std::size_t budget = limits.total_log_bytes;
  for (const std::size_t i : log_order(history)) {
    const auto& step = history.steps[i];
    if (!step.started_ms) {
      continue;
    }
    const LogTail tail = log_tails(step, limits.log_lines, std::min(limits.log_bytes, budget));
    if (tail.log_bytes == 0) {
      continue;
    }
    Json& entry = steps[i];
    entry["log"] = safe_text(tail.text);
    entry["log_bytes"] = tail.log_bytes;
    entry["log_file"] = log_path_of(step);
    if (tail.cut) {
      entry["log_cut"] = true;
    }
    budget -= std::min(budget, tail.text.size());
  }
}

Json run_entry(const RunHistory& history)
{
  return {{"result", history.result.empty() ? "died" : history.result},
          {"build", history.build},
          {"commit", history.commit},
          {"branch", history.branch},
          {"tag", history.tag},
          {"config", history.config},
          {"started_at", history.started_at},
          {"duration_ms", history.duration_ms},
          {"message", history.message},
          {"drydock", history.drydock_version},
          {"skipped_lines", history.skipped_lines}};
}

void add_decisions(Json& data, const RunHistory& history)
{
  Json images = Json::array();
  for (const auto& image : history.images) {
    images.push_back(
        {{"step", image.step}, {"image", image.image}, {"decision", image.decision}, {"reference", image.reference}});
  }
  Json services = Json::array();
  for (const auto& service : history.services) {
    services.push_back({{"step", service.step}, {"service", service.service}, {"ms", service.ms}});
  }
  Json caches = Json::array();
  for (const auto& cache : history.caches) {
    caches.push_back({{"step", cache.step}, {"dir", cache.dir}, {"decision", cache.decision}, {"key", cache.key}});
  }
  data["services"] = std::move(services);
  data["images"] = std::move(images);
  data["caches"] = std::move(caches);
}

Json run_data(const RunHistory& history, const Timeline& timeline, const LogTails& log_tails, const HtmlLimits& limits)
{
  std::unordered_map<std::string, std::size_t> index_of;
  for (const auto& step : history.steps) {
    index_of.emplace(step.id, step.index);
  }
  Json steps = Json::array();
  for (const auto& step : history.steps) {
    steps.push_back(step_entry(step, timeline, index_of));
  }
  add_logs(steps, history, log_tails, limits);
  Json data = {{"run", run_entry(history)}, {"lanes", timeline.lanes}, {"steps", std::move(steps)}};
  add_decisions(data, history);
  return data;
}

std::string verdict_text(const RunHistory& history)
{
  const std::string result = history.result.empty() ? "died" : history.result;
  return fmt::format("Build #{} {}", history.build, result);
}

} // namespace

std::string script_safe_json(std::string_view json)
{
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<' || c == '>' || c == '&') {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80'
               && (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_escape(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string report_html(const RunHistory& history, const Timeline& timeline, const LogTails& log_tails,
                        const HtmlLimits& limits)
{
  const std::string result = history.result.empty() ? "died" : history.result;
  const std::string json =
      run_data(history, timeline, log_tails, limits).dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string page;
  page.reserve(json.size() + std::size_t{32} * 1024);
  page += html_page_head();
  page += html_escape(safe_text(verdict_text(history) + (history.branch.empty() ? "" : " on " + history.branch)));
  page += html_page_style();
  page += fmt::format(R"(<h1 id="verdict" class="{0}" data-result="{0}">{1}</h1>)", html_escape(result),
                      html_escape(safe_text(verdict_text(history))));
  page += html_page_body();
  page += script_safe_json(json);
  page += html_page_script();
  return page;
}

} // namespace drydock::record
