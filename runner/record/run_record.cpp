#include "record/run_record.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "record/build_number.hpp"
#include "record/events.hpp"
#include "report/run_printer.hpp"

namespace fs = std::filesystem;

namespace drydock::record {
namespace {

// The record's numbered directories, in no order.
std::vector<std::pair<int, std::string>> numbered_dirs(const std::string& runs_dir)
{
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (fs::directory_iterator it(runs_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int number = 0;
    const auto [last, error] = std::from_chars(name.data(), name.data() + name.size(), number);
    if (error == std::errc() && last == name.data() + name.size() && number > 0 && it->is_directory(ec)) {
      found.emplace_back(number, it->path().string());
    }
  }
  return found;
}

std::optional<nlohmann::json> parse_line(const std::string& line)
{
  auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return std::nullopt;
  }
  return json;
}

// The file's first line and its last complete one (a kill -9 may leave a
// cut line after it, which is not the last event).
std::pair<std::string, std::string> first_and_last_lines(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  std::string first;
  std::getline(in, first);
  in.clear();
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size <= 0) {
    return {first, ""};
  }
  const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  while (!tail.empty() && tail.back() != '\n') {
    tail.pop_back(); // the cut line
  }
  if (!tail.empty()) {
    tail.pop_back();
  }
  const auto newline = tail.rfind('\n');
  return {first, newline == std::string::npos ? tail : tail.substr(newline + 1)};
}

std::string text_of(const nlohmann::json& json, const char* key)
{
  const auto found = json.find(key);
  return found != json.end() && found->is_string() ? found->get<std::string>() : std::string();
}

} // namespace

std::string runs_dir_for(const std::string& git_dir, const std::string& config_dir, const std::string& home)
{
  if (!git_dir.empty()) {
    return (fs::path(git_dir) / "drydock" / "runs").string();
  }
  return (fs::path(home) / ".local/state/drydock/runs" / state_key_of(config_dir)).string();
}

std::string RecordPaths::step_events(std::size_t step) const { return plan::step_events_file(logs(), step); }

tl::expected<RecordPaths, std::string> create_record(const std::string& runs_dir, int number)
{
  const RecordPaths paths{(fs::path(runs_dir) / std::to_string(number)).string()};
  std::error_code ec;
  fs::remove_all(paths.dir, ec);
  for (const auto& dir : {paths.logs(), paths.artifacts(), paths.test_results()}) {
    if (fs::create_directories(dir, ec); ec) {
      return tl::unexpected(fmt::format("cannot create the run record {}: {}", dir, ec.message()));
    }
  }
  return paths;
}

tl::expected<RecordPaths, std::string> create_record_at(const std::string& dir)
{
  const RecordPaths paths{fs::absolute(dir).lexically_normal().string()};
  std::error_code ec;
  if (fs::exists(paths.dir, ec) && !fs::is_empty(paths.dir, ec)) {
    return tl::unexpected(fmt::format("the run record {} already holds files", paths.dir));
  }
  for (const auto& sub : {paths.logs(), paths.artifacts(), paths.test_results()}) {
    if (fs::create_directories(sub, ec); ec) {
      return tl::unexpected(fmt::format("cannot create the run record {}: {}", sub, ec.message()));
    }
  }
  return paths;
}

std::string log_file_name(const pipeline::Step& step) { return log_file_name(step.index, step.id); }

std::string log_file_name(std::size_t index, std::string_view step_id)
{
  std::string id;
  for (const char c : step_id.substr(0, 100)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.';
    id += ok ? c : '_';
  }
  return fmt::format("{:03}-{}.log", index, id);
}

RunSummary read_summary(const std::string& dir, int number, const OwnerAlive& alive)
{
  RunSummary run;
  run.number = number;
  run.dir = dir;
  const auto [first_line, last_line] = first_and_last_lines(RecordPaths{dir}.events());
  const auto first = parse_line(first_line);
  const auto last = parse_line(last_line);
  std::string owner;
  if (first && text_of(*first, "event") == "run_started") {
    run.commit = text_of(*first, "commit");
    run.branch = text_of(*first, "branch");
    run.tag = text_of(*first, "tag");
    run.started_at = text_of(*first, "started_at");
    owner = text_of(*first, "owner");
  }
  if (last && text_of(*last, "event") == "run_finished") {
    run.result = text_of(*last, "result");
    if (const auto found = last->find("duration_ms"); found != last->end() && found->is_number_integer()) {
      run.duration_ms = found->get<std::int64_t>();
    }
  } else {
    run.result = !owner.empty() && alive(owner) ? "running" : "died";
  }
  return run;
}

namespace {

// Newest first.
std::vector<std::pair<int, std::string>> sorted_dirs(const std::string& runs_dir)
{
  auto dirs = numbered_dirs(runs_dir);
  std::sort(dirs.begin(), dirs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return dirs;
}

} // namespace

std::vector<RunSummary> list_runs(const std::string& runs_dir, const OwnerAlive& alive)
{
  std::vector<RunSummary> runs;
  for (const auto& [number, dir] : sorted_dirs(runs_dir)) {
    runs.push_back(read_summary(dir, number, alive));
  }
  return runs;
}

// Only the records beyond `keep` are read: each run prunes, and reading
// all of them every time would cost more than the run's own record.
std::vector<int> prune_runs(const std::string& runs_dir, int keep, const OwnerAlive& alive)
{
  std::vector<int> removed;
  const auto dirs = sorted_dirs(runs_dir);
  for (std::size_t at = static_cast<std::size_t>(std::max(keep, 0)); at < dirs.size(); ++at) {
    const auto& [number, dir] = dirs[at];
    if (read_summary(dir, number, alive).result == "running") {
      continue; // a concurrent run's record, in use
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (!ec) {
      removed.push_back(number);
    }
  }
  return removed;
}

std::vector<RunSummary> remove_died_runs(const std::string& runs_dir, const OwnerAlive& alive, bool dry)
{
  std::vector<RunSummary> died;
  for (auto& run : list_runs(runs_dir, alive)) {
    if (run.result != "died") {
      continue;
    }
    std::error_code ec;
    if (!dry) {
      fs::remove_all(run.dir, ec);
    }
    if (!ec) {
      died.push_back(std::move(run));
    }
  }
  return died;
}

std::string format_runs(const std::vector<RunSummary>& runs)
{
  if (runs.empty()) {
    return "no runs recorded\n";
  }
  std::size_t branch_width = 6;
  for (const auto& run : runs) {
    branch_width = std::max(branch_width, (run.tag.empty() ? run.branch : run.tag).size());
  }
  std::string out = fmt::format("{:>5}  {:<12}  {:<{}}  {:<11}  {:>8}\n", "RUN", "COMMIT", "BRANCH", branch_width,
                                "RESULT", "DURATION");
  for (const auto& run : runs) {
    const std::string ref = run.tag.empty() ? run.branch : run.tag;
    const std::string duration = run.duration_ms ? report::format_duration(Ms(*run.duration_ms)) : "-";
    out += fmt::format("{:>5}  {:<12}  {:<{}}  {:<11}  {:>8}\n", run.number,
                       run.commit.empty() ? "-" : run.commit.substr(0, 12), ref.empty() ? "-" : ref, branch_width,
                       run.result, duration);
  }
  return out;
}

} // namespace drydock::record
