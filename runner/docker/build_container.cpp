#include "docker/build_container.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "util/lines.hpp"

namespace drydock::docker {
namespace {

// Prints $HOME and $PATH, then "setsid" when the wrapper can run (util-
// linux's setsid -w; BusyBox's has no -w), then "sudo" when it installed
// the stand-in: root without sudo gets one that runs the command as is
// (root already), skipping sudo's own options, VAR=value words included.
constexpr const char* kProbe = R"sh(
printf '%s\n' "${HOME:-/}" "$PATH"
setsid -w true >/dev/null 2>&1 && echo setsid
if [ "$(id -u)" = 0 ] && ! command -v sudo >/dev/null 2>&1; then
  mkdir -p /usr/local/bin && cat >/usr/local/bin/sudo <<'SUDO' && chmod 755 /usr/local/bin/sudo && echo sudo
#!/bin/sh
# drydock's stand-in: this build container runs as root and had no sudo.
while [ $# -gt 0 ]; do
  case "$1" in
    -u|-g|-p|-C|-h|-U|-r|-t|-D|--user|--group|--prompt|--close-from|--host|--other-user|--role|--type|--chdir) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
exec env "$@"
SUDO
fi
)sh";

// The client's message without the newline that ends it.
std::string trimmed(std::string text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

} // namespace

std::string step_pid_file(std::size_t step) { return fmt::format("/tmp/.drydock-step-{}.pid", step); }

tl::expected<BuildContainerFacts, std::string> start_build_container(const Client& client,
                                                                     const BuildContainerSpec& spec)
{
  const auto started = client.capture(run_build_container(spec), ".", os::Stderr::merge);
  if (!started || started->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot start the build container from {}: {}", spec.image,
                                      started ? trimmed(started->output) : started.error()));
  }
  if (!spec.network.empty()) {
    // Started on the default bridge, where the host's cluster trusts it;
    // the run's network too, for the services' aliases.
    const auto joined = client.capture(connect_network(spec.network, spec.name), ".", os::Stderr::merge);
    if (!joined || joined->exit_code != 0) {
      return tl::unexpected(fmt::format("the build container cannot join the network {}: {}", spec.network,
                                        joined ? trimmed(joined->output) : joined.error()));
    }
  }
  const auto probed = client.capture(exec_in(spec.name, {"sh", "-c", kProbe}), ".", os::Stderr::merge);
  if (!probed || probed->exit_code != 0) {
    return tl::unexpected(fmt::format("the build container ({}) cannot run sh: {}", spec.image,
                                      probed ? trimmed(probed->output) : probed.error()));
  }
  std::vector<std::string> lines;
  for (const auto line : util::lines(probed->output)) {
    lines.emplace_back(line);
  }
  const auto has = [&lines](const char* word) {
    return lines.size() > 2 && std::find(lines.begin() + 2, lines.end(), word) != lines.end();
  };
  if (!has("setsid")) {
    return tl::unexpected(fmt::format("the build container ({}) has no setsid (util-linux): drydock needs it to "
                                      "stop a step there on a timeout or an interrupt",
                                      spec.image));
  }
  BuildContainerFacts facts;
  facts.home = lines.empty() || lines.front().empty() ? "/" : lines.front();
  facts.path = lines.size() > 1 ? lines[1] : "";
  facts.sudo_stand_in = has("sudo");
  return facts;
}

} // namespace drydock::docker
