#pragma once
// What a run prints: each output line prefixed with its step, start and
// finish lines with durations, and a summary table with the last lines of
// failed steps. Colour only when asked (a terminal).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "exec/build.hpp"
#include "exec/step_runner.hpp"
#include "graph/graph.hpp"

namespace drydock::report {

struct PrinterOptions {
  bool color = false;
  bool quiet = false;   // no output lines, no start/finish lines
  bool dry_run = false; // "would run" lines instead
  std::size_t tail_lines = 10; // of a failed step, repeated in the summary
  std::vector<std::string> secrets; // shown as *** wherever they appear in output
};

// The line with every occurrence of each secret replaced by ***.
std::string mask_secrets(std::string line, const std::vector<std::string>& secrets);

class RunPrinter : public exec::OutputSink, public exec::RunObserver {
public:
  using Write = std::function<void(std::string_view)>;
  RunPrinter(const graph::Graph& graph, PrinterOptions options, Write write);

  void on_output(std::size_t step, std::string_view chunk) override;
  void step_started(const graph::Step& step, const exec::StepRequest& request) override;
  void step_finished(const graph::Step& step, const exec::StepOutcome& outcome) override;
  void interrupted() override;

  void summary(const exec::BuildResult& result, const exec::BuildContext& context);

private:
  std::string prefix(std::size_t step) const;
  std::string paint(std::string_view text, std::string_view code) const;
  void emit_line(std::size_t step, std::string_view line);

  const graph::Graph& m_graph;
  PrinterOptions m_options;
  Write m_write;
  std::vector<std::string> m_partial;               // per step: text after the last newline
  std::vector<std::vector<std::string>> m_tail;     // per step: last lines
};

// "0.42s", "12.3s", "2m05s"
std::string format_duration(std::chrono::milliseconds duration);

} // namespace drydock::report
