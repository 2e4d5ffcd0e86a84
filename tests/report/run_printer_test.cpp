#include <catch2/catch.hpp>

#include "report/run_printer.hpp"
#include "test_support.hpp"

using namespace drydock;

namespace {
pipeline::Pipeline graph_of(const config::Config& config)
{
  Diagnostics diags;
  return circle1::lower(config, {}, std::nullopt, diags);
}
} // namespace

TEST_CASE("output is split into prefixed lines across chunks", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a, b]\n");
  auto graph = graph_of(config);
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
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.tail_lines = 2}, [&](std::string_view text) { out += text; });
  printer.on_output(0, "one\ntwo\nthree\n");
  plan::BuildResult result;
  result.failed = true;
  result.duration = std::chrono::milliseconds(2000);
  result.steps = {{plan::StepStatus::failed, 1, std::chrono::milliseconds(20), ""},
                  {plan::StepStatus::skipped, 0, {}, "not started: interrupted"}};
  graph.build.number = 7;
  graph.shared_dirs = {{"artifacts", "/tmp/a"}, {"test reports", "/tmp/r"}};
  out.clear();
  printer.summary(result);
  CHECK(out
        == "\n"
           "STEP              PHASE         STATUS         TIME\n"
           "test.override[0]  test          failed        0.02s  exit 1\n"
           "test.override[1]  test          skipped           -  not started: interrupted\n"
           "\n"
           "last lines of test.override[0] (exit 1):\n"
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
  auto graph = graph_of(config);
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

TEST_CASE("a line without a newline is shown in pieces of at most 64 KiB, none lost", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {}, [&](std::string_view text) { out += text; });
  const std::string piece(16 * 1024, 'x');
  for (int i = 0; i < 10; ++i) {
    printer.on_output(0, piece); // 160 KiB, no newline
  }
  CHECK(out
        == "[test.override[0]] " + std::string(kMaxLineBytes, 'x') + "\n" + "[test.override[0]] "
               + std::string(kMaxLineBytes, 'x') + "\n");
  out.clear();
  printer.step_finished(graph.steps[0], {plan::StepStatus::succeeded, 0, std::chrono::milliseconds(10), ""});
  CHECK(out == "[test.override[0]] " + std::string(32 * 1024, 'x') + "\n[test.override[0]] ok in 0.01s\n");
}

TEST_CASE("a long line is never cut inside a UTF-8 character", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {}, [&](std::string_view text) { out += text; });
  const std::string euro = "\xe2\x82\xac"; // 3 bytes
  std::string text;
  while (text.size() < kMaxLineBytes + 10) {
    text += euro;
  }
  printer.on_output(0, text);
  const std::string first = out.substr(0, out.find('\n'));
  CHECK((first.size() - std::string("[test.override[0]] ").size()) % 3 == 0);
  CHECK(first.ends_with(euro));
}

TEST_CASE("quiet still names a failed step, its exit code and that it printed nothing", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a, b]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.quiet = true}, [&](std::string_view text) { out += text; });
  printer.on_output(1, "said something\n");
  printer.step_finished(graph.steps[0], {plan::StepStatus::failed, 7, std::chrono::milliseconds(10), ""});
  printer.step_finished(graph.steps[1],
                        {plan::StepStatus::failed, 0, std::chrono::milliseconds(10), "no output for 1 s; stopped"});
  CHECK(out
        == "[test.override[0]] failed (exit 7) in 0.01s\n[test.override[1]] failed: no output for 1 s; stopped in "
           "0.01s\n");
  plan::BuildResult result;
  result.failed = true;
  result.steps = {{plan::StepStatus::failed, 7, {}, ""},
                  {plan::StepStatus::failed, 0, {}, "no output for 1 s; stopped"}};
  graph.build.number = 3;
  out.clear();
  printer.summary(result);
  CHECK(out
        == "\n"
           "\ntest.override[0] (exit 7) printed nothing\n"
           "\nlast lines of test.override[1] (no output for 1 s; stopped):\n"
           "  | said something\n"
           "\nartifacts:    \ntest reports: \n"
           "build #3 failed in 0.00s\n");
}

TEST_CASE("a dry run ends by saying how many steps would run", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a, b]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.dry_run = true}, [&](std::string_view text) { out += text; });
  plan::BuildResult result;
  result.steps.resize(2);
  printer.summary(result);
  CHECK(out.ends_with("\ndry run: 2 steps would run\n"));
  CHECK(out.find("passed") == std::string::npos);
}

TEST_CASE("output abandoned by a step's command is said in its log, after its last partial line", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {}, [&](std::string_view text) { out += text; });
  printer.on_output(0, "partial");
  printer.on_output_abandoned(0);
  CHECK(out
        == "[test.override[0]] partial\n[test.override[0]] (drydock: the command exited, but processes it started "
           "still hold its output; what they write from now on is not shown)\n");
}

TEST_CASE("the tail keeps the last lines in order, also past a full ring", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.quiet = true, .tail_lines = 3}, [&](std::string_view text) { out += text; });
  printer.on_output(0, "1\n2\n3\n4\n5\n");
  plan::BuildResult result;
  result.steps = {{plan::StepStatus::failed, 1, {}, ""}};
  printer.summary(result);
  CHECK(out.find("  | 3\n  | 4\n  | 5\n") != std::string::npos);
  CHECK(out.find("  | 2\n") == std::string::npos);
}

TEST_CASE("flush reaches the writer's flush", "[report][run]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  int flushed = 0;
  report::RunPrinter printer(
      graph, {}, [](std::string_view) {}, [&] { ++flushed; });
  printer.flush();
  CHECK(flushed == 1);
}

TEST_CASE("a secret across the 64 KiB cut of a long line is still masked", "[report][run][secrets]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.secrets = {"SuperSecretToken"}}, [&](std::string_view text) { out += text; });
  const std::string text = std::string(kMaxLineBytes - 6, 'a') + "SuperSecretToken" + std::string(70'000, 'b');
  for (std::size_t at = 0; at < text.size(); at += 16 * 1024) {
    printer.on_output(0, std::string_view(text).substr(at, 16 * 1024));
  }
  printer.on_output(0, "\n");
  CHECK(out.find("SuperS") == std::string::npos);
  CHECK(out.find("***") != std::string::npos);
}

TEST_CASE("a secret inside a longer one does not unmask the rest of the longer one", "[report][run][secrets]")
{
  const auto config = test::load("test:\n  override: [a]\n");
  auto graph = graph_of(config);
  std::string out;
  report::RunPrinter printer(graph, {.secrets = {"abcd", "abcdefgh-longer", "abcd"}},
                             [&](std::string_view text) { out += text; });
  printer.on_output(0, "abcdefgh-longer and abcd\n");
  CHECK(out == "[test.override[0]] *** and ***\n");
}
