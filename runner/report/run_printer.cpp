#include "report/run_printer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/text_report.hpp"

namespace drydock::report {
namespace {

constexpr std::string_view kRed = "31";
constexpr std::string_view kGreen = "32";
constexpr std::string_view kYellow = "33";
constexpr std::string_view kBold = "1";
constexpr std::string_view kStepColours[] = {"36", "35", "34", "33", "32", "96", "95", "94"};

std::string_view status_colour(plan::StepStatus status)
{
  switch (status) {
  case plan::StepStatus::succeeded: return kGreen;
  case plan::StepStatus::failed: return kRed;
  default: return kYellow;
  }
}

} // namespace

std::string format_duration(std::chrono::milliseconds duration)
{
  const auto ms = duration.count();
  if (ms < 10'000) {
    return fmt::format("{:.2f}s", static_cast<double>(ms) / 1000.0);
  }
  if (ms < 60'000) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  }
  return fmt::format("{}m{:02}s", ms / 60'000, (ms / 1000) % 60);
}

RunPrinter::RunPrinter(const graph::Graph& graph, PrinterOptions options, Write write)
  : m_graph(graph), m_options(options), m_write(std::move(write)), m_partial(graph.steps.size()),
    m_tail(graph.steps.size())
{
}

std::string RunPrinter::paint(std::string_view text, std::string_view code) const
{
  return m_options.color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
}

std::string RunPrinter::prefix(std::size_t step) const
{
  const auto& colour = kStepColours[step % std::size(kStepColours)];
  return paint(fmt::format("[{}]", m_graph.steps[step].name), colour);
}

std::string mask_secrets(std::string line, const std::vector<std::string>& secrets)
{
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    for (auto at = line.find(secret); at != std::string::npos; at = line.find(secret, at + 3)) {
      line.replace(at, secret.size(), "***");
    }
  }
  return line;
}

void RunPrinter::emit_line(std::size_t step, std::string_view raw)
{
  const std::string line = mask_secrets(std::string(raw), m_options.secrets);
  auto& tail = m_tail[step];
  tail.emplace_back(line);
  if (tail.size() > m_options.tail_lines) {
    tail.erase(tail.begin());
  }
  if (!m_options.quiet) {
    m_write(fmt::format("{} {}\n", prefix(step), line));
  }
}

void RunPrinter::on_output(std::size_t step, std::string_view chunk)
{
  std::string& partial = m_partial[step];
  partial.append(chunk);
  std::size_t start = 0;
  for (auto newline = partial.find('\n'); newline != std::string::npos; newline = partial.find('\n', start)) {
    std::string_view line(partial.data() + start, newline - start);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    emit_line(step, line);
    start = newline + 1;
  }
  partial.erase(0, start);
}

void RunPrinter::step_started(const graph::Step& step, const exec::StepRequest&)
{
  if (m_options.quiet) {
    return;
  }
  const std::string verb = m_options.dry_run ? "would run" : "$";
  m_write(fmt::format("{} {} {}\n", prefix(step.index), paint(verb, kBold), summarize_command(step.command.text, 100)));
}

void RunPrinter::step_finished(const graph::Step& step, const exec::StepOutcome& outcome)
{
  if (!m_partial[step.index].empty()) {
    emit_line(step.index, m_partial[step.index]);
    m_partial[step.index].clear();
  }
  if (m_options.quiet || m_options.dry_run) {
    return;
  }
  std::string what;
  if (outcome.status == plan::StepStatus::succeeded) {
    what = paint("ok", kGreen);
  } else if (!outcome.message.empty()) {
    what = paint(fmt::format("failed: {}", outcome.message), kRed);
  } else {
    what = paint(fmt::format("failed (exit {})", outcome.exit_code), kRed);
  }
  m_write(fmt::format("{} {} in {}\n", prefix(step.index), what, format_duration(outcome.duration)));
}

void RunPrinter::interrupted()
{
  m_write(paint("drydock: interrupted; stopping running steps\n", kYellow));
}

void RunPrinter::summary(const exec::BuildResult& result, const exec::BuildContext& context)
{
  std::size_t name_width = 4;
  for (const auto& step : m_graph.steps) {
    name_width = std::max(name_width, step.name.size());
  }
  std::string out = "\n";
  if (!m_options.quiet) {
    out += fmt::format("{:<{}}  {:<12}  {:<9}  {:>8}\n", "STEP", name_width, "PHASE", "STATUS", "TIME");
    for (const auto& step : m_graph.steps) {
      const auto& outcome = result.steps[step.index];
      const std::string status = m_options.dry_run ? "would run" : std::string(plan::status_name(outcome.status));
      const std::string time = outcome.status == plan::StepStatus::skipped || m_options.dry_run
                                   ? "-"
                                   : format_duration(outcome.duration);
      std::string line = fmt::format("{:<{}}  {:<12}  {}  {:>8}", step.name, name_width, graph::phase_name(step.phase),
                                     paint(fmt::format("{:<9}", status), status_colour(outcome.status)), time);
      if (!outcome.message.empty() && outcome.status != plan::StepStatus::succeeded) {
        line += "  " + outcome.message;
      }
      out += line + "\n";
    }
  }
  for (const auto& step : m_graph.steps) {
    if (result.steps[step.index].status == plan::StepStatus::failed && !m_tail[step.index].empty()) {
      out += fmt::format("\nlast lines of {}:\n", paint(step.name, kRed));
      for (const auto& line : m_tail[step.index]) {
        out += fmt::format("  | {}\n", line);
      }
    }
  }
  if (!m_options.dry_run) {
    out += fmt::format("\nartifacts:    {}\ntest reports: {}\n", context.artifacts_dir, context.test_reports_dir);
  }
  const std::string verdict = result.interrupted ? paint("interrupted", kYellow)
                              : result.failed     ? paint("failed", kRed)
                                                  : paint("passed", kGreen);
  out += fmt::format("build #{} {} in {}\n", context.build_num, verdict, format_duration(result.duration));
  m_write(out);
}

} // namespace drydock::report
