#pragma once
// The record as a consumer of the run's events: each event becomes a line
// of events.jsonl, appended with one write(2) as it happens (a kill -9
// leaves whole lines, the last possibly cut), and each step's output goes,
// masked and uncut, to its log. The same lines may also go to a stream
// (`drydock run --json`). The clock comes in as a function: no clock here.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "plan/run_events.hpp"
#include "record/events.hpp"
#include "record/run_record.hpp"

namespace drydock::record {

class Recorder : public plan::OutputSink, public plan::RunObserver {
public:
  using Clock = std::function<Ms()>;                    // time since the run started
  using Stream = std::function<void(std::string_view)>; // also gets every line, when set
  // With paths.dir empty, nothing is written to files (a dry run): only the stream.
  Recorder(const pipeline::Pipeline& pipeline, RecordPaths paths, std::vector<std::string> secrets, Clock clock,
           Stream stream = {});
  ~Recorder() override;
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Why the record could not be written, or empty.
  const std::string& error() const { return m_error; }

  void run_started(const RunInfo& info);
  // The steps that never started, what artifacts/ and test-results/ hold,
  // and the verdict.
  void run_finished(const plan::BuildResult& result, const std::string& message = {});

  void on_output(std::size_t step, std::string_view chunk) override;
  void on_output_abandoned(std::size_t step) override;
  void flush() override {}
  void step_queued(const pipeline::Step& step) override;
  void step_started(const pipeline::Step& step) override;
  void step_finished(const pipeline::Step& step, const plan::StepOutcome& outcome) override;
  void interrupted() override {}

private:
  void emit(const std::string& line);
  void write_log(std::size_t step, std::string_view text);
  void merge_step_events(const pipeline::Step& step);
  std::vector<std::string> released_by(const pipeline::Step& step) const;
  void stored(std::string_view event, const std::string& dir);

  const pipeline::Pipeline& m_pipeline;
  RecordPaths m_paths;
  std::vector<std::string> m_secrets; // in masking order
  Clock m_clock;
  Stream m_stream;
  int m_events_fd = -1;
  std::vector<int> m_logs;             // per step: its log's fd, once it printed something
  std::vector<bool> m_running;         // per step: started, not finished, its output logged
  std::vector<std::string> m_partial;  // per step: output after its last newline, not yet masked
  std::vector<std::size_t> m_finished; // per step: 1 + the order it finished in; 0: not yet
  std::size_t m_finish_count = 0;
  std::string m_error;
};

} // namespace drydock::record
