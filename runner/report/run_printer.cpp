#include "report/run_printer.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "report/text_report.hpp"
#include "util/mask.hpp"

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

RunPrinter::RunPrinter(const pipeline::Pipeline& pipeline, PrinterOptions options, Write write, Flush flush)
  : m_pipeline(pipeline), m_options(std::move(options)), m_write(std::move(write)), m_flush(std::move(flush)),
    m_partial(pipeline.steps.size()), m_tail(pipeline.steps.size())
{
  m_options.secrets = masking_order(std::move(m_options.secrets));
  for (const auto& step : pipeline.steps) {
    m_prefixes.push_back(prefix(step.index));
  }
}

std::string RunPrinter::paint(std::string_view text, std::string_view code) const
{
  return m_options.color ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
}

std::string RunPrinter::prefix(std::size_t step) const
{
  const auto& colour = kStepColours[step % std::size(kStepColours)];
  return paint(fmt::format("[{}]", m_pipeline.steps[step].name), colour);
}

void RunPrinter::Tail::add(std::string_view line, std::size_t keep)
{
  if (keep == 0) {
    return;
  }
  if (lines.size() < keep) {
    lines.emplace_back(line);
    return;
  }
  lines[next].assign(line); // reuses the slot's memory
  next = (next + 1) % keep;
}

std::vector<std::string> RunPrinter::Tail::in_order() const
{
  std::vector<std::string> ordered(lines.begin() + static_cast<std::ptrdiff_t>(next), lines.end());
  ordered.insert(ordered.end(), lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(next));
  return ordered;
}

void RunPrinter::emit_line(std::size_t step, std::string_view raw, std::string& out, bool keep_in_tail)
{
  if (raw.ends_with('\r')) {
    raw.remove_suffix(1);
  }
  std::string masked;
  if (!m_options.secrets.empty()) {
    masked = mask_secrets(std::string(raw), m_options.secrets);
    raw = masked;
  }
  if (keep_in_tail) {
    m_tail[step].add(raw, m_options.tail_lines);
  }
  if (!m_options.quiet) {
    out.append(m_prefixes[step]).append(1, ' ').append(raw).append(1, '\n');
  }
}

namespace {

// Where the last `count` complete lines of the chunk begin: only those can
// end up in the tail, so the lines before them need not be kept.
std::size_t start_of_last_lines(std::string_view chunk, std::size_t count)
{
  std::size_t newline = chunk.size();
  for (std::size_t found = 0; found <= count; ++found) { // the count+1-th newline from the end
    newline = newline == 0 ? std::string_view::npos : chunk.rfind('\n', newline - 1);
    if (newline == std::string_view::npos) {
      return 0;
    }
  }
  return newline + 1;
}

} // namespace

void RunPrinter::on_output(std::size_t step, std::string_view chunk)
{
  std::string& out = m_out; // reused: a fresh buffer per chunk costs page faults
  out.clear();
  std::string& partial = m_partial[step];
  const std::size_t tail_from = start_of_last_lines(chunk, m_options.tail_lines);
  // Only the new chunk is searched for newlines: a long line costs linear time.
  for (std::size_t at = 0, newline = chunk.find('\n'); newline != std::string_view::npos;
       at = newline + 1, newline = chunk.find('\n', at)) {
    const std::string_view line = chunk.substr(at, newline - at);
    if (partial.empty()) {
      emit_line(step, line, out, at >= tail_from);
    } else {
      partial.append(line);
      emit_line(step, partial, out, at >= tail_from);
      partial.clear();
    }
  }
  const auto last_newline = chunk.rfind('\n');
  chunk.remove_prefix(last_newline == std::string_view::npos ? 0 : last_newline + 1);
  partial.append(chunk);
  for (const auto& piece : take_long_pieces(partial, m_options.secrets)) {
    emit_line(step, piece, out);
  }
  if (!out.empty()) {
    m_write(out);
  }
}

void RunPrinter::emit_partial(std::size_t step, std::string& out)
{
  if (!m_partial[step].empty()) {
    emit_line(step, m_partial[step], out);
    m_partial[step].clear();
  }
}

void RunPrinter::on_output_abandoned(std::size_t step)
{
  std::string out;
  emit_partial(step, out);
  emit_line(step,
            "(drydock: the command exited, but processes it started still hold its output; "
            "what they write from now on is not shown)",
            out);
  m_write(out);
}

void RunPrinter::flush()
{
  if (m_flush) {
    m_flush();
  }
}

void RunPrinter::step_started(const pipeline::Step& step)
{
  if (m_options.quiet) {
    return;
  }
  const std::string verb = m_options.dry_run ? "would run" : "$";
  m_write(fmt::format("{} {} {}\n", prefix(step.index), paint(verb, kBold),
                      summarize_command(mask_secrets(step.summary, m_options.secrets), 100)));
}

std::string RunPrinter::failure_text(const plan::StepOutcome& outcome)
{
  return outcome.message.empty() ? fmt::format("exit {}", outcome.exit_code) : outcome.message;
}

void RunPrinter::step_finished(const pipeline::Step& step, const plan::StepOutcome& outcome)
{
  std::string out;
  emit_partial(step.index, out);
  const bool failed = outcome.status != plan::StepStatus::succeeded;
  // Quiet still shows failures: a step that failed without a word is named.
  if (!m_options.dry_run && (!m_options.quiet || failed)) {
    const std::string what = failed ? paint(outcome.message.empty() ? fmt::format("failed (exit {})", outcome.exit_code)
                                                                    : fmt::format("failed: {}", outcome.message),
                                            kRed)
                                    : paint("ok", kGreen);
    out += fmt::format("{} {} in {}\n", m_prefixes[step.index], what, format_duration(outcome.duration));
  }
  if (!out.empty()) {
    m_write(out);
  }
}

void RunPrinter::interrupted() { m_write(paint("drydock: interrupted; stopping running steps\n", kYellow)); }

std::string RunPrinter::failed_steps_text(const plan::BuildResult& result) const
{
  std::string out;
  for (const auto& step : m_pipeline.steps) {
    const auto& outcome = result.steps[step.index];
    if (outcome.status != plan::StepStatus::failed) {
      continue;
    }
    const auto lines = m_tail[step.index].in_order();
    if (lines.empty()) {
      out += fmt::format("\n{} ({}) printed nothing\n", paint(step.name, kRed), failure_text(outcome));
      continue;
    }
    out += fmt::format("\nlast lines of {} ({}):\n", paint(step.name, kRed), failure_text(outcome));
    for (const auto& line : lines) {
      out += fmt::format("  | {}\n", line);
    }
  }
  return out;
}

void RunPrinter::summary(const plan::BuildResult& result)
{
  std::size_t name_width = 4;
  for (const auto& step : m_pipeline.steps) {
    name_width = std::max(name_width, step.name.size());
  }
  std::string out = "\n";
  if (!m_options.quiet) {
    out += fmt::format("{:<{}}  {:<12}  {:<9}  {:>8}\n", "STEP", name_width, pipeline::group_heading(m_pipeline),
                       "STATUS", "TIME");
    for (const auto& step : m_pipeline.steps) {
      const auto& outcome = result.steps[step.index];
      const std::string status = m_options.dry_run ? "would run" : std::string(plan::status_name(outcome.status));
      const std::string time = outcome.status == plan::StepStatus::skipped || m_options.dry_run
                                   ? "-"
                                   : format_duration(outcome.duration);
      std::string line = fmt::format("{:<{}}  {:<12}  {}  {:>8}", step.name, name_width,
                                     m_pipeline.groups[step.group].name,
                                     paint(fmt::format("{:<9}", status), status_colour(outcome.status)), time);
      if (outcome.status == plan::StepStatus::failed) {
        line += "  " + failure_text(outcome);
      } else if (!outcome.message.empty() && outcome.status != plan::StepStatus::succeeded) {
        line += "  " + outcome.message;
      }
      out += line + "\n";
    }
  }
  out += failed_steps_text(result);
  if (m_options.dry_run) {
    const auto count = m_pipeline.steps.size();
    out += fmt::format("dry run: {} step{} would run\n", count, count == 1 ? "" : "s");
    m_write(out);
    flush();
    return;
  }
  if (!m_pipeline.shared_dirs.empty()) {
    out += "\n";
  }
  for (const auto& dir : m_pipeline.shared_dirs) {
    out += fmt::format("{:<13} {}\n", dir.label + ":", dir.path);
  }
  const std::string verdict = result.interrupted ? paint("interrupted", kYellow)
                              : result.failed    ? paint("failed", kRed)
                                                 : paint("passed", kGreen);
  out += fmt::format("build #{} {} in {}\n", m_pipeline.build.number, verdict, format_duration(result.duration));
  m_write(out);
  flush();
}

} // namespace drydock::report
