#include "record/events.hpp"

namespace drydock::record {
namespace {

using Json = nlohmann::ordered_json;

Json ids_of(const pipeline::Pipeline& pipeline, const std::vector<std::size_t>& steps)
{
  Json ids = Json::array();
  for (const std::size_t step : steps) {
    ids.push_back(pipeline.steps[step].id);
  }
  return ids;
}

Json step_entry(const pipeline::Pipeline& pipeline, const pipeline::Step& step)
{
  return {{"id", step.id},
          {"name", step.name},
          {"group", pipeline.groups.empty() ? std::string() : pipeline.groups[step.group].name},
          {"kind", pipeline::action_kind(step.action)},
          {"needs", ids_of(pipeline, step.deps)},
          {"runs_in", pipeline::placement_of(pipeline, step)},
          {"background", step.background}};
}

// The contract's own names, apart from what the terminal shows ("ok").
std::string_view status_of(plan::StepStatus status)
{
  switch (status) {
  case plan::StepStatus::succeeded: return "succeeded";
  case plan::StepStatus::failed: return "failed";
  case plan::StepStatus::skipped: return "skipped";
  default: return plan::status_name(status);
  }
}

// Exit statuses over 128 are 128 + the signal that ended the command, as the shell reports them.
Json signal_of(int exit_code) { return exit_code > 128 && exit_code < 128 + 65 ? Json(exit_code - 128) : Json(); }

} // namespace

std::string event_line(std::string_view event, Ms t, const nlohmann::ordered_json& fields)
{
  Json line = {{"event", event}, {"t", t.count()}};
  for (const auto& [key, value] : fields.items()) {
    line[key] = value;
  }
  // Text that is not UTF-8 (a start error quoting a path) is replaced, never thrown over.
  return line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string run_started(Ms t, const RunInfo& info, const pipeline::Pipeline& pipeline)
{
  Json steps = Json::array();
  for (const auto& step : pipeline.steps) {
    steps.push_back(step_entry(pipeline, step));
  }
  return event_line("run_started", t,
                    {{"version", kEventsVersion},
                     {"config", info.config},
                     {"commit", info.commit},
                     {"branch", info.branch},
                     {"tag", info.tag},
                     {"build", info.build_number},
                     {"drydock", info.drydock_version},
                     {"owner", info.owner},
                     {"started_at", info.started_at},
                     {"dry_run", info.dry_run},
                     {"steps", steps}});
}

std::string step_queued(Ms t, const pipeline::Step& step) { return event_line("step_queued", t, {{"step", step.id}}); }

std::string step_started(Ms t, const pipeline::Pipeline& pipeline, const pipeline::Step& step,
                         const std::vector<std::string>& released_by)
{
  return event_line("step_started", t,
                    {{"step", step.id}, {"needs", ids_of(pipeline, step.deps)}, {"released_by", released_by}});
}

std::string step_finished(Ms t, const pipeline::Step& step, const plan::StepOutcome& outcome)
{
  return event_line("step_finished", t,
                    {{"step", step.id},
                     {"status", status_of(outcome.status)},
                     {"exit_code", outcome.exit_code},
                     {"signal", signal_of(outcome.exit_code)},
                     {"timed_out", outcome.timed_out},
                     {"duration_ms", outcome.duration.count()},
                     {"message", outcome.message}});
}

std::string step_skipped(Ms t, const pipeline::Step& step, const std::string& reason)
{
  return event_line("step_skipped", t, {{"step", step.id}, {"reason", reason}});
}

std::string stored(Ms t, std::string_view event, const std::string& path, std::size_t files, std::uintmax_t bytes)
{
  return event_line(event, t, {{"path", path}, {"files", files}, {"bytes", bytes}});
}

std::string result_name(const plan::BuildResult& result)
{
  return result.interrupted ? "interrupted" : result.failed ? "failed" : "passed";
}

std::string run_finished(Ms t, const plan::BuildResult& result, const std::string& message)
{
  return event_line("run_finished", t,
                    {{"result", result_name(result)}, {"duration_ms", result.duration.count()}, {"message", message}});
}

} // namespace drydock::record
