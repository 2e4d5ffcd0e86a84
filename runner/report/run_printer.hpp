#pragma once
// What a run prints: each output line prefixed with its step, start and
// finish lines with durations, and a summary table with the last lines of
// failed steps. Colour only when asked (a terminal).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/pipeline.hpp"
#include "plan/run_events.hpp"
#include "util/mask.hpp"

namespace drydock::report {

struct PrinterOptions {
  bool color = false;
  bool quiet = false;               // no output lines, no start/finish lines
  bool dry_run = false;             // "would run" lines instead
  std::size_t tail_lines = 10;      // of a failed step, repeated in the summary
  std::vector<std::string> secrets; // shown as *** wherever they appear in output
};

class RunPrinter : public plan::OutputSink, public plan::RunObserver {
public:
  using Write = std::function<void(std::string_view)>;
  using Flush = std::function<void()>;
  // `write` may buffer; `flush` is called when the steps go quiet and at the end.
  RunPrinter(const pipeline::Pipeline& pipeline, PrinterOptions options, Write write, Flush flush = {});

  void on_output(std::size_t step, std::string_view chunk) override;
  void on_output_abandoned(std::size_t step) override;
  void flush() override;
  void step_started(const pipeline::Step& step) override;
  void step_finished(const pipeline::Step& step, const plan::StepOutcome& outcome) override;
  void interrupted() override;

  void summary(const plan::BuildResult& result);

private:
  // The last lines of a step, kept without allocating for every line.
  struct Tail {
    std::vector<std::string> lines; // a ring of up to tail_lines
    std::size_t next = 0;           // where the next line goes once full
    void add(std::string_view line, std::size_t keep);
    std::vector<std::string> in_order() const;
  };

  std::string prefix(std::size_t step) const;
  std::string paint(std::string_view text, std::string_view code) const;
  // Appends the line, masked and prefixed, to `out` and to the step's tail.
  void emit_line(std::size_t step, std::string_view raw, std::string& out, bool keep_in_tail = true);
  void emit_partial(std::size_t step, std::string& out);
  static std::string failure_text(const plan::StepOutcome& outcome);
  std::string failed_steps_text(const plan::BuildResult& result) const;

  const pipeline::Pipeline& m_pipeline;
  PrinterOptions m_options;
  Write m_write;
  Flush m_flush;
  std::vector<std::string> m_prefixes; // per step, painted once
  std::vector<std::string> m_partial;  // per step: text after the last newline
  std::vector<Tail> m_tail;            // per step: last lines
  std::string m_out;                   // what one chunk prints
};

// "0.42s", "12.3s", "2m05s"
std::string format_duration(std::chrono::milliseconds duration);

} // namespace drydock::report
