// `drydock run [FILE]`: the pipeline on this machine.
#include <fmt/format.h>
#include <fmt/std.h>
#include <nlohmann/json.hpp>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "exec/build.hpp"
#include "exec/dry_run_runner.hpp"
#include "exec/host_runner.hpp"
#include "exec/output_writer.hpp"
#include "exec/run_setup.hpp"
#include "docker/leftovers.hpp"
#include "frontends/circle1/lower.hpp"
#include "frontends/circle2/continuation.hpp"
#include "os/checkout.hpp"
#include "publish/from_pipeline.hpp"
#include "record/recorder.hpp"
#include "record/reports.hpp"
#include "record/run_record.hpp"
#include "record/test_timings.hpp"
#include "report/run_printer.hpp"
#include "util/file.hpp"
#include "util/mask.hpp"
#include "util/scope_exit.hpp"

namespace drydock::cli {
namespace {

struct RunOptions {
  PipelineOptions pipeline;
  std::size_t jobs = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false;
  bool dry_run = false;
  bool fresh = false;                    // --fresh
  bool with_changes = false;             // --with-changes
  bool keep = false;                     // --keep
  bool json = false;                     // --json: the events on stdout, the human output on stderr
  std::optional<int> keep_runs;          // --keep-runs N, over drydock.keep_runs
  std::optional<int> build_number;       // --build-number N (with --record-dir)
  std::optional<std::string> record_dir; // --record-dir DIR
  std::optional<int> parent_pid;         // --parent-pid PID: stop when it dies
};

bool colour_wanted(int fd)
{
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(fd) == 1 && (no_color == nullptr || *no_color == '\0');
}

// Where the human output goes: stdout, or stderr when stdout carries the events.
int human_fd(const RunOptions& options) { return options.json ? STDERR_FILENO : STDOUT_FILENO; }

// An event line on stdout (--json), whole, at once.
// A reader gone away is seen by the runner, which stops the build.
void write_stdout(std::string_view line) { util::write_fully(STDOUT_FILENO, line); }

std::string utc_now()
{
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32] = {};
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

record::RunInfo run_info(const LoadedPipeline& pipeline, bool dry_run)
{
  const auto& build = pipeline.pipeline.build;
  return {pipeline.context.config_path, build.sha, build.branch, build.tag, build.number, DRYDOCK_VERSION,
          docker::owner_of(::getpid()), utc_now(), dry_run};
}

// The record's clock: time since the run started.
record::Recorder::Clock run_clock()
{
  const auto begin = std::chrono::steady_clock::now();
  return [begin] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin);
  };
}

// After the run: the reports (a report that cannot be written is a
// warning, never the run's failure), the older records pruned, and where
// this one is.
void close_record(int keep_runs, const record::RecordPaths& paths, exec::OutputWriter& output)
{
  const auto warnings = record::write_reports(paths.dir);
  if (!warnings.empty()) {
    output.flush();
    for (const auto& warning : warnings) {
      fmt::print(stderr, "drydock: warning: {}\n", warning);
    }
  }
  if (keep_runs > 0) { // 0: a record given by --record-dir is its owner's to prune
    const auto runs_dir = std::filesystem::path(paths.dir).parent_path().string();
    record::prune_runs(runs_dir, keep_runs, run_owner_alive);
  }
  std::error_code ec;
  output.write(std::filesystem::exists(paths.report(), ec) ? fmt::format("report: {}\n", paths.report())
                                                           : fmt::format("record: {}\n", paths.dir));
  output.flush();
}

bool containers_may_remain(const pipeline::Pipeline& pipeline, const exec::BuildResult& result)
{
  if (result.interrupted) {
    return true;
  }
  for (const auto& step : pipeline.steps) {
    const auto& outcome = result.steps[step.index];
    const bool abnormal = outcome.exit_code >= 125 || !outcome.message.empty();
    if (step.container && outcome.status == plan::StepStatus::failed && abnormal) {
      return true;
    }
  }
  return false;
}

// -j's values: CLI11's Range would call "abc" out of range.
CLI::Validator step_count()
{
  return CLI::Validator(
      [](std::string& value) -> std::string {
        std::size_t count = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
        if (error != std::errc() || end != value.data() + value.size() || count < 1 || count > 1024) {
          return fmt::format("expected a number of steps from 1 to 1024, got '{}'", value);
        }
        return {};
      },
      "1..1024");
}

// drydock's own steps run this binary again (`drydock internal ...`).
std::string own_executable()
{
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("drydock") : path.string();
}

exec::SetupMode setup_mode(const RunOptions& options)
{
  return options.dry_run ? exec::SetupMode::dry_run : exec::SetupMode::run;
}

// The pipeline and the engine's facts. The engine is asked before the build
// takes a number: a run that cannot start leaves no number used and no
// directories behind. A dry run takes no number and gets placeholders.
tl::expected<LoadedPipeline, int> load_for_run(const RunOptions& options, exec::Engine& engine)
{
  const auto engine_answers = [&](const EngineWanted& wanted,
                                  const env::Environment& env) -> tl::expected<void, std::string> {
    auto found = exec::find_engine({wanted.needed_by, wanted.host_cluster}, env, setup_mode(options));
    if (!found) {
      return tl::unexpected(found.error());
    }
    engine = std::move(*found);
    return {};
  };
  auto pipeline = load_pipeline(options.pipeline,
                                options.dry_run ? circle1::ContextMode::plan : circle1::ContextMode::run,
                                engine_answers);
  if (pipeline && options.dry_run) {
    engine = exec::find_engine(exec::engine_needs(pipeline->pipeline), pipeline->context.env, exec::SetupMode::dry_run)
                 .value_or(exec::Engine{});
  }
  return pipeline;
}

// Everything the printer and the background logs mask.
std::vector<std::string> secrets_of(const LoadedPipeline& pipeline)
{
  auto secrets = publish::secrets_of(pipeline.pipeline, pipeline.context.env);
  secrets.insert(secrets.end(), pipeline.masked.begin(), pipeline.masked.end());
  return masking_order(std::move(secrets));
}

void print_notes(const std::vector<std::string>& notes)
{
  for (const auto& note : notes) {
    fmt::print(stderr, "drydock: {}\n", note);
  }
}

// A skipped build took its number (as a branch filter's skip always has)
// and made its record for nothing: it holds no event yet, and goes.
void remove_unused_record(const circle1::BuildContext& context)
{
  std::error_code ec;
  std::filesystem::remove_all(context.record_dir, ec);
}

// The test timings of the last run that passed before this one, for the
// `circleci` stand-in's split by timings (2.x pipelines carry it): a file
// beside it in the tools, when that run stored test results.
void add_previous_timings(LoadedPipeline& loaded)
{
  const auto& tools = loaded.pipeline.tools;
  const bool has_circleci = std::any_of(tools.begin(), tools.end(),
                                        [](const pipeline::Tool& tool) { return tool.name == "circleci"; });
  if (!has_circleci || loaded.context.record_dir.empty()) {
    return;
  }
  const auto runs_dir = std::filesystem::path(loaded.context.record_dir).parent_path().string();
  // The newest passed run that stored test results: a run between (another config, a setup
  // workflow) may have stored none.
  for (const auto& run : record::list_runs(runs_dir, run_owner_alive)) {
    if (run.number >= loaded.context.build_num || run.result != "passed") {
      continue;
    }
    const auto table = record::timings_table(record::stored_junit_files(record::RecordPaths{run.dir}.test_results()));
    if (!table.empty()) {
      loaded.pipeline.tools.push_back({".circleci-timings", table});
      return;
    }
  }
}

// What the jobs of a setup workflow handed over (circleci continue): their
// folders under the record's continuation/ with a configuration or the
// finished mark.
std::vector<std::filesystem::path> continuation_handovers(const std::string& record_dir)
{
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::path(record_dir) / "continuation";
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (it->is_regular_file(ec) && (name == circle2::kContinuedConfiguration || name == circle2::kFinishedMark)) {
      found.push_back(it->path().parent_path());
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

// The parameters a continuation passes (a JSON object) as --param NAME=VALUE.
tl::expected<std::vector<std::string>, std::string> continued_params(const std::filesystem::path& file)
{
  auto text = read_config_file(file.string());
  const auto json = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!json.is_object()) {
    return tl::unexpected(fmt::format("{}: the parameters are not a JSON object", file.string()));
  }
  std::vector<std::string> params;
  for (const auto& [name, value] : json.items()) {
    if (value.is_object() || value.is_array() || value.is_null()) {
      return tl::unexpected(fmt::format("{}: parameter '{}' is not a string, number or boolean", file.string(), name));
    }
    params.push_back(name + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
  }
  return params;
}

int run_pipeline(const RunOptions& options);

// The configuration a setup workflow continues with, run as the next build:
// CircleCI runs it in the same pipeline; here it is a run of its own.
int run_continuation(RunOptions options, const LoadedPipeline& setup)
{
  const auto handovers = continuation_handovers(setup.context.record_dir);
  if (handovers.empty()) {
    fmt::print(stderr, "drydock: the setup workflow passed without continuing the pipeline (continuation/continue): "
                       "nothing runs next\n");
    return kExitOk;
  }
  if (handovers.size() > 1) {
    fmt::print(stderr, "drydock: {} jobs continued the pipeline ({}): a pipeline continues once\n", handovers.size(),
               fmt::join(handovers, ", "));
    return kExitStepFailed;
  }
  const auto& handover = handovers.front();
  if (!std::filesystem::exists(handover / circle2::kContinuedConfiguration)) {
    fmt::print(stderr, "drydock: the setup workflow finished the pipeline (continuation/finish)\n");
    return kExitOk;
  }
  const auto params = continued_params(handover / circle2::kContinuedParameters);
  if (!params) {
    fmt::print(stderr, "drydock: {}\n", params.error());
    return kExitStepFailed;
  }
  if (options.record_dir || setup.context.env.get("CIRCLE_SHA1").value_or("").empty()) {
    fmt::print(stderr, "drydock: the setup workflow continues, but {}: its configuration is in {}\n",
               options.record_dir ? "drydock does not run a continuation under --record-dir (the agent) yet"
                                  : "only a git repository's setup workflow continues here",
               (handover / circle2::kContinuedConfiguration).string());
    return kExitStepFailed;
  }
  auto file = (handover / circle2::kContinuedConfiguration).string();
  if (options.pipeline.fresh_checkout) { // its work tree is the fresh checkout, where the configuration goes
    const auto beside = std::filesystem::path(circle1::config_dir_of(options.pipeline.file)) / ".drydock-continued.yml";
    std::error_code ec;
    std::filesystem::copy_file(file, beside, std::filesystem::copy_options::overwrite_existing, ec);
    file = beside.string();
  }
  if (!options.pipeline.repo) {
    options.pipeline.repo = os::read_repo_facts(circle1::config_dir_of(options.pipeline.file));
  }
  fmt::print(stderr, "drydock: the setup workflow continues with {}{}\n", file,
             params->empty() ? "" : fmt::format(" ({})", fmt::join(*params, ", ")));
  options.pipeline.file = file;
  options.pipeline.params = *params;
  options.pipeline.workflow.reset();
  options.pipeline.job.reset();
  options.pipeline.only = false;
  options.pipeline.continued = true;
  return run_pipeline(options);
}

int exit_code_of(const exec::BuildResult& result)
{
  if (result.interrupted) {
    return kExitInterrupted;
  }
  return result.failed ? kExitStepFailed : kExitOk;
}

int run_pipeline(const RunOptions& options)
{
  exec::Engine engine;
  auto pipeline = load_for_run(options, engine);
  if (!pipeline) {
    return pipeline.error();
  }
  for (const auto* decision : {&pipeline->branches, &pipeline->commit}) {
    if (!decision->runs) {
      fmt::print(options.json ? stderr : stdout, "drydock: build skipped: {}\n", decision->reason);
      if (!options.dry_run) {
        remove_unused_record(pipeline->context);
      }
      return kExitOk;
    }
  }
  if (!pipeline->inferred.empty() && !pipeline->inferred_run) {
    std::vector<std::string> phases;
    for (const auto& phase : pipeline->inferred) {
      phases.push_back(phase.phase);
    }
    fmt::print(stderr,
               "drydock: CircleCI 1.0 would have inferred commands for {} (not run: --infer runs them, "
               "plan lists them)\n",
               fmt::join(phases, ", "));
  }
  if (!options.dry_run) {
    add_previous_timings(*pipeline);
  }
  const report::PrinterOptions printer_options{colour_wanted(human_fd(options)), options.quiet, options.dry_run, 10,
                                               secrets_of(*pipeline)};
  // When the reader of our output goes away, nobody is watching the build:
  // stop it as if interrupted, so no step is left running unattended.
  // (The writer's thread blocks signals: kill, not raise, reaches the loop.)
  exec::HostRunner* host_runner = nullptr;
  exec::OutputWriter output(
      human_fd(options), [] { ::kill(::getpid(), SIGTERM); },
      [&host_runner] { return host_runner != nullptr && host_runner->interrupt_requested(); });
  report::RunPrinter printer(
      pipeline->pipeline, printer_options, [&output](std::string_view text) { output.write(text); },
      [&output] { output.flush(); });
  // A dry run writes no record; with --json its events still stream.
  const record::RecordPaths paths{options.dry_run ? "" : pipeline->context.record_dir};
  const int keep_runs = options.record_dir
                            ? 0
                            : options.keep_runs.value_or(pipeline->keep_runs.value_or(record::kDefaultKeepRuns));
  record::Recorder recorder(pipeline->pipeline, paths, printer_options.secrets, run_clock(),
                            options.json ? record::Recorder::Stream(write_stdout) : record::Recorder::Stream());
  if (!recorder.error().empty()) {
    print_notes({"warning: " + recorder.error()});
  }
  plan::Fanout events;
  events.add_sink(printer);
  events.add_sink(recorder);
  events.add_observer(printer);
  events.add_observer(recorder);
  // The runner catches SIGINT/SIGTERM/SIGHUP from here on, so an interrupt
  // during setup still reaches the cleanup below.
  std::unique_ptr<exec::StepRunner> runner;
  if (options.dry_run) {
    runner = std::make_unique<exec::DryRunRunner>();
  } else {
    auto host = std::make_unique<exec::HostRunner>(options.jobs, events, printer_options.secrets);
    host_runner = host.get();
    host->stop_when_reader_leaves(STDOUT_FILENO);
    runner = std::move(host);
  }
  const auto& lowered = pipeline->pipeline;
  auto context = exec::make_run_context(lowered, host_environment(), own_executable());
  context.step_events_dir = paths.dir.empty() ? "" : paths.logs();
  context.tools_dir = paths.dir.empty() ? "" : paths.tools();
  recorder.run_started(run_info(*pipeline, options.dry_run));
  const auto prepared = exec::prepare_run(lowered, context, setup_mode(options), engine);
  if (!prepared) {
    output.flush();
    print_notes({prepared.error()});
    print_notes(exec::finish_run(context, true));
    recorder.run_finished({std::vector<plan::StepOutcome>(lowered.steps.size()), true}, prepared.error());
    if (!paths.dir.empty()) {
      close_record(keep_runs, paths, output);
    }
    return kExitStepFailed;
  }
  print_notes(context.setup_notes);
  // A bug that throws out of the build still removes the run's containers,
  // network and cluster on its way to main's catch.
  bool finished = false;
  const util::ScopeExit cleanup([&] {
    if (!finished) {
      print_notes(exec::finish_run(context, true));
    }
  });
  const auto result = exec::run_build(lowered, context, *runner, events);
  output.flush(); // before the notes on stderr, which may go to the same place
  finished = true;
  print_notes(exec::finish_run(context, containers_may_remain(lowered, result)));
  recorder.run_finished(result);
  printer.summary(result);
  if (!paths.dir.empty()) {
    close_record(keep_runs, paths, output);
  }
  const int code = exit_code_of(result);
  if (code == kExitOk && pipeline->setup && !options.dry_run) {
    return run_continuation(options, *pipeline);
  }
  if (pipeline->setup && !options.dry_run && !continuation_handovers(pipeline->context.record_dir).empty()) {
    fmt::print(stderr, "drydock: the setup workflow did not pass: the configuration it continues with does not run\n");
  }
  return code;
}

// Without --fresh, the build sees the work tree as it is: say so, once,
// when that is more than the commit.
void warn_if_dirty(const os::RepoFacts& repo)
{
  const auto state = repo.top_dir.empty() ? os::TreeState{} : os::tree_state(repo.top_dir);
  if (!state.clean()) {
    fmt::print(stderr,
               "drydock: warning: the build sees uncommitted and untracked files ({} changed, {} untracked); "
               "--fresh builds the commit alone\n",
               state.changed, state.untracked);
  }
}

// --fresh: the same run in a new checkout of the commit, removed at the end
// (an interrupt included) unless --keep.
int run_fresh(RunOptions options)
{
  const auto repo = os::read_repo_facts(circle1::config_dir_of(options.pipeline.file));
  auto checkout = os::FreshCheckout::create(repo, options.with_changes, docker::owner_of(::getpid()));
  if (!checkout) {
    fmt::print(stderr, "drydock: --fresh: {}\n", checkout.error());
    return kExitConfigOrUsage;
  }
  fmt::print(stderr, "drydock: building {} in a fresh checkout{}\n", repo.sha.substr(0, 12),
             options.with_changes ? ", with the uncommitted changes of tracked files" : "");
  options.pipeline.file = checkout->path_of(options.pipeline.file);
  options.pipeline.repo = repo;
  options.pipeline.fresh_checkout = true;
  const int code = run_pipeline(options);
  if (options.keep) {
    checkout->keep();
    fmt::print(stderr, "drydock: kept the checkout at {}\n", checkout->dir());
  }
  return code;
}

// --parent-pid: a build the agent runs stops (as on SIGTERM) when the
// agent dies, even by kill -9, so none runs unattended.
bool stop_with_parent(int parent)
{
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) { // it died before the line above
    fmt::print(stderr, "drydock: the process {} that started this run is gone\n", parent);
    return false;
  }
  return true;
}

// --build-number and --record-dir come together, without --dry-run.
std::optional<std::string> given_build_error(const RunOptions& options)
{
  if (options.build_number.has_value() != options.record_dir.has_value()) {
    return "--build-number and --record-dir go together";
  }
  if (options.record_dir && options.dry_run) {
    return "--record-dir makes a record; a dry run makes none";
  }
  return std::nullopt;
}

int run_run(RunOptions options)
{
  options.pipeline.file = config_file_of(options.pipeline);
  if (const auto error = given_build_error(options)) {
    fmt::print(stderr, "drydock: {}\n", *error);
    return kExitConfigOrUsage;
  }
  if (options.parent_pid && !stop_with_parent(*options.parent_pid)) {
    return kExitInterrupted;
  }
  if (options.record_dir) {
    options.pipeline.given = circle1::GivenBuild{*options.build_number, *options.record_dir};
  }
  if (options.fresh) {
    return run_fresh(options);
  }
  if (options.with_changes || options.keep) {
    fmt::print(stderr, "drydock: {} needs --fresh\n", options.keep ? "--keep" : "--with-changes");
    return kExitConfigOrUsage;
  }
  if (!options.dry_run) {
    // Read once: git's processes cost milliseconds each, on every run.
    options.pipeline.repo = os::read_repo_facts(circle1::config_dir_of(options.pipeline.file));
    warn_if_dirty(*options.pipeline.repo);
  }
  return run_pipeline(options);
}

} // namespace

Action add_run_command(CLI::App& app)
{
  auto options = std::make_shared<RunOptions>();
  auto* sub = app.add_subcommand("run", "Run the pipeline on this machine, in parallel where the graph allows: "
                                        "circle.yml 1.0's commands each in its own `bash -eo pipefail -c` (or "
                                        "`docker run --rm` in its drydock image); a 2.x workflow's jobs in their "
                                        "job containers, or on this machine for `machine` jobs.");
  sub->add_option("-j,--jobs", options->jobs, "Steps to run at once, 1 to 1024 (default: the number of cores)")
      ->check(step_count());
  sub->add_flag("-q,--quiet", options->quiet, "Print only failures and the result, not every output line");
  sub->add_flag("-n,--dry-run", options->dry_run, "Print what would run, in order, without running it");
  sub->add_flag("--fresh", options->fresh,
                "Build the commit in a new checkout in a temporary directory (a local "
                "clone: untracked files and local edits stay out); removed at the end");
  sub->add_flag("--with-changes", options->with_changes,
                "With --fresh: apply the uncommitted changes of tracked files on top (untracked files never)");
  sub->add_flag("--keep", options->keep, "With --fresh: leave the checkout in place and print where it is");
  sub->add_flag("--json", options->json,
                "Stream the run's events (as in the record's events.jsonl) as JSON lines on stdout; "
                "the usual output goes to stderr");
  sub->add_option("--keep-runs", options->keep_runs,
                  "Run records to keep, this one included; older ones are removed (default 20)")
      ->check(CLI::Range(1, 1000000));
  const std::string agent_group = "For an agent or wrapper that numbers its builds";
  sub->add_option("--build-number", options->build_number,
                  "The build's number (CIRCLE_BUILD_NUM), instead of the repository's counter")
      ->check(CLI::Range(1, 1000000000))
      ->group(agent_group);
  sub->add_option("--record-dir", options->record_dir,
                  "Write the run record into DIR (new or empty), instead of the repository's runs; nothing pruned")
      ->group(agent_group);
  sub->add_option("--parent-pid", options->parent_pid, "Stop the run, as on SIGTERM, when process PID dies")
      ->check(CLI::PositiveNumber)
      ->group(agent_group);
  add_pipeline_options(*sub, options->pipeline);
  sub->footer("Exit status: 0 when every step passed (or the build is skipped: a branch filter, [ci skip]), "
              "1 when a step failed, 2 for config or usage errors, 130 when interrupted.");
  return [options] { return run_run(*options); };
}

} // namespace drydock::cli
