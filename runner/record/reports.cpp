#include "record/reports.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "record/html_report.hpp"
#include "record/junit.hpp"
#include "record/replay.hpp"
#include "record/run_record.hpp"
#include "record/timeline.hpp"
#include "record/trace.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::record {
namespace {

// Temporary file and rename; no fsync (the reports can be made again).
tl::expected<void, std::string> write_whole(const std::string& path, const std::string& text)
{
  const std::string temp = util::temporary_path_for(path);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return tl::unexpected(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto written = ::write(fd, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return tl::unexpected(fmt::format("cannot write {}: {}", path, std::strerror(error)));
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    return tl::unexpected(fmt::format("cannot write {}: {}", path, std::strerror(error)));
  }
  return {};
}

std::string read_whole(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

// In path order: the same files, the same junit.xml.
std::vector<StoredJunit> stored_junit_files(const std::string& test_results)
{
  std::vector<StoredJunit> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(test_results, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().extension() == ".xml") {
      files.push_back({fs::relative(it->path(), test_results, ec).string(), read_whole(it->path())});
    }
  }
  std::sort(files.begin(), files.end(), [](const StoredJunit& a, const StoredJunit& b) { return a.path < b.path; });
  return files;
}

std::vector<std::string> write_reports(const std::string& record_dir)
{
  const auto history = read_history(record_dir);
  if (!history) {
    return {fmt::format("no reports: {}", history.error())};
  }
  const RecordPaths paths{record_dir};
  const auto tails = [&](const StepHistory& step, std::size_t lines, std::size_t bytes) {
    return read_log_tail(record_dir, step, lines, bytes);
  };
  const auto junit_lines = [&](const StepHistory& step) {
    return tails(step, kJunitLogLines, std::size_t{16} * 1024).text;
  };
  auto junit = junit_xml(*history, junit_lines, stored_junit_files(paths.test_results()));
  std::vector<std::string> warnings = std::move(junit.warnings);
  const auto timeline = timeline_of(*history);
  const std::pair<std::string, std::string> files[] = {
      {paths.junit(), junit.xml},
      {paths.trace(), trace_json(*history, timeline)},
      {paths.report(), report_html(*history, timeline, tails)},
  };
  for (const auto& [path, text] : files) {
    if (auto written = write_whole(path, text); !written) {
      warnings.push_back(written.error());
    }
  }
  return warnings;
}

} // namespace drydock::record
