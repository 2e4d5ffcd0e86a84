#include "docker/job_container.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "util/lines.hpp"

namespace drydock::docker {
namespace {

// What the client said when it failed: its output, trimmed, or why it could not run.
std::string failure_of(const tl::expected<os::CaptureResult, std::string>& result)
{
  if (!result) {
    return result.error();
  }
  std::string text = result->output;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.empty() ? fmt::format("exit {}", result->exit_code) : text;
}

bool succeeded(const tl::expected<os::CaptureResult, std::string>& result) { return result && result->exit_code == 0; }

// The engine's words for an image it lacks, with what to do about it.
std::string start_error(const std::string& what, const std::string& image, const std::string& said)
{
  if (said.find("No such image") != std::string::npos) {
    return fmt::format("{}: the engine has no image {} (drydock never pulls: `docker pull {}` or `docker load` "
                       "it first)",
                       what, image, image);
  }
  return fmt::format("{}: cannot start {}: {}", what, image, said);
}

} // namespace

std::string job_container_name(const std::string& run_id, const std::string& container)
{
  return fmt::format("drydock-{}-job-{}", run_id, container);
}

std::string sidecar_name(const std::string& run_id, const std::string& container, const std::string& sidecar)
{
  return fmt::format("drydock-{}-job-{}-{}", run_id, container, sidecar);
}

tl::expected<void, std::string> start_job_containers(const Client& client, const JobContainerStart& start,
                                                     const Say& say)
{
  const auto& primary = start.container;
  const auto started = client.capture(run_job_container(primary), ".", os::Stderr::merge);
  if (!succeeded(started)) {
    return tl::unexpected(start_error("the job container", primary.image, failure_of(started)));
  }
  say(fmt::format("started {} ({})", primary.name, primary.image));
  for (const auto& sidecar : start.sidecars) {
    const auto beside = client.capture(run_sidecar(sidecar), ".", os::Stderr::merge);
    if (!succeeded(beside)) {
      return tl::unexpected(start_error("the sidecar " + sidecar.name, sidecar.image, failure_of(beside)));
    }
    say(fmt::format("started {} ({}), on the job container's localhost", sidecar.name, sidecar.image));
  }
  return {};
}

tl::expected<int, std::string> remove_job_containers(const Client& client, const std::vector<std::string>& names)
{
  const auto removed = client.capture(remove_containers(names), ".", os::Stderr::merge);
  // rm prints the names it removed; the rest must be complaints of ones already gone.
  const std::string output = removed ? removed->output : "";
  int count = 0;
  bool gone = false;
  bool other = !removed;
  for (const auto line : util::lines(output)) {
    const bool no_such = line.find("No such container") != std::string_view::npos;
    count += line.starts_with("drydock-") ? 1 : 0;
    gone = gone || no_such;
    other = other || !(no_such || line.empty() || line.starts_with("drydock-"));
  }
  if (!succeeded(removed) && (other || !gone)) {
    return tl::unexpected(fmt::format("cannot remove {}: {}", fmt::join(names, ", "), failure_of(removed)));
  }
  return count;
}

tl::expected<std::string, std::string> copy_tree_into(const Client& client, const std::string& source_dir,
                                                      const std::string& container, const std::string& dir)
{
  const auto made = client.capture(make_dir_in(container, dir), ".", os::Stderr::merge);
  std::vector<std::string> lines;
  if (made) {
    for (const auto line : util::lines(made->output)) {
      lines.emplace_back(line);
    }
  }
  if (!succeeded(made) || lines.size() != 2 || !lines[0].starts_with("/")) {
    return tl::unexpected(fmt::format("cannot make {} in {}: {}", dir, container, failure_of(made)));
  }
  const std::string& path = lines[0];
  const std::string& owner = lines[1];
  if (const auto copied = client.capture(copy_into(source_dir, container, path), ".", os::Stderr::merge);
      !succeeded(copied)) {
    return tl::unexpected(fmt::format("cannot copy into {}:{}: {}", container, path, failure_of(copied)));
  }
  if (owner != "0:0") { // docker cp leaves root the owner
    if (const auto given = client.capture(give_to(container, owner, path), ".", os::Stderr::merge); !succeeded(given)) {
      return tl::unexpected(fmt::format("cannot give {} to {} in {}: {}", path, owner, container, failure_of(given)));
    }
  }
  return path;
}

tl::expected<std::optional<std::string>, std::string> copy_tree_out(const Client& client, const std::string& container,
                                                                    const std::string& base, const std::string& path,
                                                                    const std::string& into)
{
  const auto resolved = client.capture(resolve_path_in(container, base, path), ".", os::Stderr::merge);
  std::string line = resolved ? resolved->output : "";
  while (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  const bool typed = line.size() > 3 && line[1] == ' ' && line[2] == '/'
                     && std::string_view("df-").find(line[0]) != std::string_view::npos;
  if (!succeeded(resolved) || !typed) {
    return tl::unexpected(fmt::format("cannot find {} in {}: {}", path, container, failure_of(resolved)));
  }
  const std::string absolute = line.substr(2);
  if (line[0] == '-') {
    return std::optional<std::string>();
  }
  std::error_code ec;
  std::filesystem::create_directories(into, ec);
  if (ec) {
    return tl::unexpected(fmt::format("cannot make {}: {}", into, ec.message()));
  }
  // A directory's contents (DIR/.), or the file itself, into `into`.
  const auto copied = client.capture(copy_out(container, line[0] == 'd' ? absolute + "/." : absolute, into), ".",
                                     os::Stderr::merge);
  if (!succeeded(copied)) {
    return tl::unexpected(fmt::format("cannot copy {} out of {}: {}", absolute, container, failure_of(copied)));
  }
  return absolute;
}

} // namespace drydock::docker
