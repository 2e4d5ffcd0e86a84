#include "record/trace.hpp"

#include <nlohmann/json.hpp>

namespace drydock::record {
namespace {

using Json = nlohmann::ordered_json;

Json metadata(const char* name, std::size_t lane, const Json& args)
{
  return {{"name", name}, {"ph", "M"}, {"pid", 1}, {"tid", lane}, {"args", args}};
}

Json slice(const StepHistory& step, const Bar& bar, bool critical)
{
  Json args = {{"id", step.id},       {"status", step.status},           {"exit_code", step.exit_code},
               {"needs", step.needs}, {"released_by", step.released_by}, {"runs_in", step.runs_in}};
  if (critical) {
    args["critical_path"] = true;
  }
  if (!step.message.empty()) {
    args["message"] = step.message;
  }
  return {{"name", step.name.empty() ? step.id : step.name},
          {"cat", step.group.empty() ? "steps" : step.group},
          {"ph", "X"},
          {"ts", bar.start_ms * 1000},
          {"dur", (bar.end_ms - bar.start_ms) * 1000},
          {"pid", 1},
          {"tid", bar.lane},
          {"args", args}};
}

// One event a line: a big trace stays readable and diffable.
void append(std::string& out, const Json& event, bool& first)
{
  out += first ? "\n" : ",\n";
  out += event.dump(-1, ' ', false, Json::error_handler_t::replace);
  first = false;
}

} // namespace

std::string trace_json(const RunHistory& history, const Timeline& timeline)
{
  std::string out = R"({"displayTimeUnit":"ms","otherData":)";
  out += Json{{"build", history.build},
              {"commit", history.commit},
              {"branch", history.branch},
              {"result", history.result},
              {"started_at", history.started_at}}
             .dump(-1, ' ', false, Json::error_handler_t::replace);
  out += R"(,"traceEvents":[)";
  bool first = true;
  append(out, {{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "drydock run"}}}}, first);
  for (std::size_t lane = 0; lane < timeline.lanes; ++lane) {
    append(out, metadata("thread_name", lane, {{"name", "lane " + std::to_string(lane)}}), first);
    append(out, metadata("thread_sort_index", lane, {{"sort_index", lane}}), first);
  }
  for (const auto& bar : timeline.bars) {
    append(out, slice(history.steps[bar.step], bar, timeline.critical[bar.step]), first);
  }
  out += "\n]}\n";
  return out;
}

} // namespace drydock::record
