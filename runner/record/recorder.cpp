#include "record/recorder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "record/step_events.hpp"
#include "util/file.hpp"
#include "util/mask.hpp"

namespace fs = std::filesystem;

namespace drydock::record {
namespace {

int open_for_append(const std::string& path, int extra_flags)
{
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0644);
}

} // namespace

Recorder::Recorder(const pipeline::Pipeline& pipeline, RecordPaths paths, std::vector<std::string> secrets, Clock clock,
                   Stream stream)
  : m_pipeline(pipeline), m_paths(std::move(paths)), m_secrets(masking_order(std::move(secrets))),
    m_clock(std::move(clock)), m_stream(std::move(stream)), m_logs(pipeline.steps.size(), -1),
    m_running(pipeline.steps.size(), false), m_partial(pipeline.steps.size()), m_finished(pipeline.steps.size(), 0)
{
  if (!m_paths.dir.empty()) {
    m_events_fd = open_for_append(m_paths.events(), O_APPEND);
    if (m_events_fd < 0) {
      m_error = fmt::format("cannot write {}: {}", m_paths.events(), std::strerror(errno));
    }
  }
}

Recorder::~Recorder()
{
  for (const int fd : m_logs) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  if (m_events_fd >= 0) {
    ::close(m_events_fd);
  }
}

// One write(2) per line, O_APPEND: no buffer to lose when drydock is killed.
void Recorder::emit(const std::string& line)
{
  if (m_events_fd >= 0 && !util::write_fully(m_events_fd, line) && m_error.empty()) {
    m_error = fmt::format("cannot write {}: {}", m_paths.events(), std::strerror(errno));
  }
  if (m_stream) {
    m_stream(line);
  }
}

void Recorder::run_started(const RunInfo& info) { emit(record::run_started(m_clock(), info, m_pipeline)); }

void Recorder::step_queued(const pipeline::Step& step) { emit(record::step_queued(m_clock(), step)); }

// The needs that finished last: the edges that let the step start.
std::vector<std::string> Recorder::released_by(const pipeline::Step& step) const
{
  std::size_t last = 0;
  for (const std::size_t dep : step.deps) {
    last = std::max(last, m_finished[dep]);
  }
  std::vector<std::string> ids;
  for (const std::size_t dep : step.deps) {
    if (last > 0 && m_finished[dep] == last) {
      ids.push_back(m_pipeline.steps[dep].id);
    }
  }
  return ids;
}

void Recorder::step_started(const pipeline::Step& step)
{
  emit(record::step_started(m_clock(), m_pipeline, step, released_by(step)));
  m_running[step.index] = !m_paths.dir.empty();
}

// The log is made at the step's first output: a quiet step costs no file
// (creating and later pruning one per no-op step was most of the record's cost).
void Recorder::write_log(std::size_t step, std::string_view text)
{
  if (m_logs[step] < 0 && m_running[step] && !text.empty()) {
    m_logs[step] = open_for_append(m_paths.logs() + "/" + log_file_name(m_pipeline.steps[step]), O_TRUNC);
    m_running[step] = m_logs[step] >= 0;
  }
  if (m_logs[step] >= 0 && !util::write_fully(m_logs[step], text)) {
    ::close(m_logs[step]); // a full disk: the log stops, the build goes on
    m_logs[step] = -1;
  }
}

// Whole lines are masked; a long line without its newline goes out in
// pieces once no secret can straddle the cut, so memory stays bounded and
// the log uncut.
void Recorder::on_output(std::size_t step, std::string_view chunk)
{
  if (!m_running[step]) {
    return;
  }
  if (m_secrets.empty()) {
    write_log(step, chunk);
    return;
  }
  std::string& partial = m_partial[step];
  partial.append(chunk);
  const auto newline = partial.rfind('\n');
  if (newline != std::string::npos) {
    write_log(step, mask_secrets(partial.substr(0, newline + 1), m_secrets));
    partial.erase(0, newline + 1);
  }
  for (const auto& piece : take_long_pieces(partial, m_secrets)) {
    write_log(step, piece);
  }
}

void Recorder::on_output_abandoned(std::size_t step)
{
  on_output(step, "\n(drydock: the command exited, but processes it started still hold its output; "
                  "what they write is not read)\n");
}

void Recorder::merge_step_events(const pipeline::Step& step)
{
  const std::string path = m_paths.dir.empty() ? "" : m_paths.step_events(step.index);
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) {
    return;
  }
  for (auto& event : read_step_events(path)) {
    const std::string name = event["event"].get<std::string>();
    if (name != "image" && name != "service_ready" && name != "cache") {
      continue; // a step reports its own decisions, never the run's events
    }
    event.erase("event");
    event["step"] = step.id;
    emit(event_line(name, m_clock(), event));
  }
  fs::remove(path, ec);
}

void Recorder::step_finished(const pipeline::Step& step, const plan::StepOutcome& outcome)
{
  if (!m_partial[step.index].empty()) {
    write_log(step.index, mask_secrets(std::exchange(m_partial[step.index], {}), m_secrets));
  }
  if (m_logs[step.index] >= 0) {
    ::close(m_logs[step.index]);
    m_logs[step.index] = -1;
  }
  m_running[step.index] = false;
  merge_step_events(step);
  m_finished[step.index] = ++m_finish_count;
  emit(record::step_finished(m_clock(), step, outcome));
}

void Recorder::stored(std::string_view event, const std::string& dir)
{
  std::size_t files = 0;
  std::uintmax_t bytes = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) {
      ++files;
      bytes += it->file_size(ec);
    }
  }
  emit(record::stored(m_clock(), event, dir, files, bytes));
}

void Recorder::run_finished(const plan::BuildResult& result, const std::string& message)
{
  for (const auto& step : m_pipeline.steps) {
    if (result.steps[step.index].status == plan::StepStatus::skipped) {
      emit(step_skipped(m_clock(), step, result.steps[step.index].message));
    }
  }
  if (!m_paths.dir.empty()) {
    stored("artifacts_stored", m_paths.artifacts());
    stored("test_results_stored", m_paths.test_results());
  }
  emit(record::run_finished(m_clock(), result, message));
}

} // namespace drydock::record
