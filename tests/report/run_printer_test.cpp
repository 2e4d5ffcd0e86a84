#include <catch2/catch.hpp>

#include "report/run_printer.hpp"
#include "test_support.hpp"

using namespace drydock;

namespace {
graph::Graph graph_of(const config::Config& config)
{
  Diagnostics diags;
  return graph::build_graph(config, std::nullopt, diags);
}
} // namespace

TEST_CASE("output is split into prefixed lines across chunks", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a, b]\n");
  const auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {}, [&](std::string_view text) { out += text; });
  printer.on_output(0, "hel");
  printer.on_output(1, "other\r\n");
  printer.on_output(0, "lo\nwor");
  CHECK(out == "[test.override[1]] other\n[test.override[0]] hello\n");
  printer.step_finished(graph.steps[0], {plan::StepStatus::failed, 2, std::chrono::milliseconds(1500), ""});
  CHECK(out.ends_with("[test.override[0]] wor\n[test.override[0]] failed (exit 2) in 1.50s\n"));
}

TEST_CASE("the summary lists every step and repeats a failed step's last lines", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a, b]\n");
  const auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.tail_lines = 2}, [&](std::string_view text) { out += text; });
  printer.on_output(0, "one\ntwo\nthree\n");
  exec::BuildResult result;
  result.failed = true;
  result.duration = std::chrono::milliseconds(2000);
  result.steps = {{plan::StepStatus::failed, 1, std::chrono::milliseconds(20), ""},
                  {plan::StepStatus::skipped, 0, {}, "not started: interrupted"}};
  exec::BuildContext context;
  context.build_num = 7;
  context.artifacts_dir = "/tmp/a";
  context.test_reports_dir = "/tmp/r";
  out.clear();
  printer.summary(result, context);
  CHECK(out == "\n"
               "STEP              PHASE         STATUS         TIME\n"
               "test.override[0]  test          failed        0.02s\n"
               "test.override[1]  test          skipped           -  not started: interrupted\n"
               "\n"
               "last lines of test.override[0]:\n"
               "  | two\n"
               "  | three\n"
               "\n"
               "artifacts:    /tmp/a\n"
               "test reports: /tmp/r\n"
               "build #7 failed in 2.00s\n");
}

TEST_CASE("colour codes appear only when asked for", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  const auto graph = graph_of(config);
  std::string plain;
  std::string coloured;
  report::RunPrinter a(graph, {}, [&](std::string_view text) { plain += text; });
  report::RunPrinter b(graph, {.color = true}, [&](std::string_view text) { coloured += text; });
  a.on_output(0, "x\n");
  b.on_output(0, "x\n");
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(coloured.find("\x1b[") != std::string::npos);
}

TEST_CASE("durations read well at every scale", "[report][run]")
{
  CHECK(report::format_duration(std::chrono::milliseconds(420)) == "0.42s");
  CHECK(report::format_duration(std::chrono::milliseconds(12'340)) == "12.3s");
  CHECK(report::format_duration(std::chrono::milliseconds(125'000)) == "2m05s");
}
