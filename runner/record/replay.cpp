#include "record/replay.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "record/run_record.hpp"

namespace drydock::record {
namespace {

using Json = nlohmann::json;

std::string text_at(const Json& event, const char* key)
{
  const auto found = event.find(key);
  return found != event.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::int64_t number_at(const Json& event, const char* key)
{
  const auto found = event.find(key);
  return found != event.end() && found->is_number_integer() ? found->get<std::int64_t>() : 0;
}

bool flag_at(const Json& event, const char* key)
{
  const auto found = event.find(key);
  return found != event.end() && found->is_boolean() && found->get<bool>();
}

std::vector<std::string> texts_at(const Json& event, const char* key)
{
  std::vector<std::string> texts;
  const auto found = event.find(key);
  if (found != event.end() && found->is_array()) {
    for (const auto& item : *found) {
      if (item.is_string()) {
        texts.push_back(item.get<std::string>());
      }
    }
  }
  return texts;
}

// Builds the history event by event; steps are found by id.
class HistoryBuilder {
public:
  void add(const Json& event);
  RunHistory take() { return std::move(m_history); }
  void skipped_line() { ++m_history.skipped_lines; }

private:
  void run_started(const Json& event);
  void step_event(const std::string& name, const Json& event);
  StepHistory* step_named(const std::string& id);

  RunHistory m_history;
  std::unordered_map<std::string, std::size_t> m_by_id;
};

void HistoryBuilder::run_started(const Json& event)
{
  m_history.config = text_at(event, "config");
  m_history.commit = text_at(event, "commit");
  m_history.branch = text_at(event, "branch");
  m_history.tag = text_at(event, "tag");
  m_history.build = static_cast<int>(number_at(event, "build"));
  m_history.drydock_version = text_at(event, "drydock");
  m_history.started_at = text_at(event, "started_at");
  const auto steps = event.find("steps");
  if (steps == event.end() || !steps->is_array()) {
    return;
  }
  for (const auto& entry : *steps) {
    if (!entry.is_object()) {
      continue;
    }
    StepHistory step;
    step.index = m_history.steps.size();
    step.id = text_at(entry, "id");
    step.name = text_at(entry, "name");
    step.group = text_at(entry, "group");
    step.kind = text_at(entry, "kind");
    step.needs = texts_at(entry, "needs");
    step.runs_in = text_at(entry, "runs_in");
    step.background = flag_at(entry, "background");
    m_by_id.emplace(step.id, step.index);
    m_history.steps.push_back(std::move(step));
  }
}

StepHistory* HistoryBuilder::step_named(const std::string& id)
{
  const auto found = m_by_id.find(id);
  return found == m_by_id.end() ? nullptr : &m_history.steps[found->second];
}

void step_started(StepHistory& step, const Json& event)
{
  step.started_ms = number_at(event, "t");
  step.released_by = texts_at(event, "released_by");
  step.status = "unfinished";
}

void step_finished(StepHistory& step, const Json& event)
{
  step.finished_ms = number_at(event, "t");
  step.status = text_at(event, "status");
  step.exit_code = static_cast<int>(number_at(event, "exit_code"));
  if (const auto signal = event.find("signal"); signal != event.end() && signal->is_number_integer()) {
    step.signal = signal->get<int>();
  }
  step.timed_out = flag_at(event, "timed_out");
  step.duration_ms = number_at(event, "duration_ms");
  step.message = text_at(event, "message");
}

// The events that name a step: its life and the decisions made inside it.
void HistoryBuilder::step_event(const std::string& name, const Json& event)
{
  const std::string id = text_at(event, "step");
  StepHistory* step = step_named(id);
  if (step == nullptr) {
    return;
  }
  if (name == "step_started") {
    step_started(*step, event);
  } else if (name == "step_finished") {
    step_finished(*step, event);
  } else if (name == "step_skipped") {
    step->status = "skipped";
    step->message = text_at(event, "reason");
  } else if (name == "image") {
    m_history.images.push_back({id, text_at(event, "image"), text_at(event, "decision"), text_at(event, "reference")});
  } else if (name == "service_ready") {
    m_history.services.push_back({id, text_at(event, "service"), number_at(event, "ms")});
  } else if (name == "cache") {
    m_history.caches.push_back({id, text_at(event, "dir"), text_at(event, "decision"), text_at(event, "key")});
  }
}

void HistoryBuilder::add(const Json& event)
{
  const std::string name = text_at(event, "event");
  if (name == "run_started") {
    run_started(event);
  } else if (name == "run_finished") {
    m_history.result = text_at(event, "result");
    m_history.duration_ms = number_at(event, "duration_ms");
    m_history.message = text_at(event, "message");
  } else {
    step_event(name, event);
  }
  if (m_history.result.empty()) {
    m_history.duration_ms = std::max(m_history.duration_ms, number_at(event, "t"));
  }
}

} // namespace

RunHistory parse_history(std::string_view events_jsonl)
{
  HistoryBuilder builder;
  while (!events_jsonl.empty()) {
    const auto newline = events_jsonl.find('\n');
    const std::string_view line = events_jsonl.substr(0, newline);
    events_jsonl.remove_prefix(newline == std::string_view::npos ? events_jsonl.size() : newline + 1);
    if (line.empty()) {
      continue;
    }
    const auto event = Json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object() || text_at(event, "event").empty()) {
      builder.skipped_line();
      continue;
    }
    builder.add(event);
  }
  return builder.take();
}

tl::expected<RunHistory, std::string> read_history(const std::string& record_dir)
{
  const std::string path = RecordPaths{record_dir}.events();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(fmt::format("cannot read {}", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  const std::string events = text.str();
  if (events.rfind(R"({"event":"run_started")", 0) != 0) {
    return tl::unexpected(fmt::format("{} does not start with run_started", path));
  }
  return parse_history(events);
}

std::string log_path_of(const StepHistory& step) { return "logs/" + log_file_name(step.index, step.id); }

std::string_view last_lines(std::string_view text, std::size_t max_lines)
{
  std::size_t start = text.size();
  if (start > 0 && text[start - 1] == '\n') {
    --start; // the last line's own newline
  }
  for (std::size_t lines = 0; start > 0; --start) {
    if (text[start - 1] == '\n' && ++lines == max_lines) {
      break;
    }
  }
  return max_lines == 0 ? text.substr(text.size()) : text.substr(start);
}

LogTail read_log_tail(const std::string& record_dir, const StepHistory& step, std::size_t max_lines,
                      std::size_t max_bytes)
{
  LogTail tail;
  std::ifstream in(record_dir + "/" + log_path_of(step), std::ios::binary | std::ios::ate);
  if (!in) {
    return tail;
  }
  const std::streamoff size = in.tellg();
  tail.log_bytes = static_cast<std::uintmax_t>(std::max<std::streamoff>(size, 0));
  const std::streamoff from = std::max<std::streamoff>(0, size - static_cast<std::streamoff>(max_bytes));
  std::string bytes(static_cast<std::size_t>(size - from), '\0');
  in.seekg(from);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::string_view text(bytes);
  if (from > 0) {
    const auto newline = text.find('\n'); // a line cut by the byte limit is left out
    text.remove_prefix(newline == std::string_view::npos || newline + 1 == text.size() ? 0 : newline + 1);
  }
  const std::string_view kept = last_lines(text, max_lines);
  tail.cut = from > 0 || kept.size() < text.size();
  tail.text = std::string(kept);
  return tail;
}

} // namespace drydock::record
