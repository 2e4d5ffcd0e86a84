#include "docker/engine.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <sstream>

#include "docker/commands.hpp"
#include "util/lines.hpp"

namespace drydock::docker {
namespace {

// The first line that says something (docker may print an empty one first).
std::string first_line(const std::string& text)
{
  for (const auto line : util::lines(text)) {
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      return std::string(line);
    }
  }
  return "no answer";
}

// The IPv4 address of a network interface (docker0), or empty.
std::string interface_address(const std::string& name)
{
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return {};
  }
  std::string found;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr != nullptr && entry->ifa_addr->sa_family == AF_INET && name == entry->ifa_name) {
      char text[INET_ADDRSTRLEN] = {};
      const auto* address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
      found = text;
      break;
    }
  }
  ::freeifaddrs(list);
  return found;
}

// Docker gives a bridge's gateway the subnet's first address.
std::string first_host_of(const std::string& subnet)
{
  in_addr address{};
  const std::string base = subnet.substr(0, subnet.find('/'));
  if (::inet_pton(AF_INET, base.c_str(), &address) != 1) {
    return {};
  }
  address.s_addr = htonl(ntohl(address.s_addr) + 1);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

} // namespace

bool version_at_least(const std::string& version, int major, int minor)
{
  int got_major = 0;
  int got_minor = 0;
  if (std::sscanf(version.c_str(), "%d.%d", &got_major, &got_minor) < 1) {
    return false;
  }
  return got_major > major || (got_major == major && got_minor >= minor);
}

BridgeFacts parse_bridge(const std::string& output)
{
  // "SUBNET GATEWAY INTERFACE", where an engine may leave GATEWAY empty.
  std::vector<std::string> words;
  std::istringstream in(output);
  for (std::string word; in >> word;) {
    words.push_back(word);
  }
  BridgeFacts facts;
  if (words.size() >= 3) {
    facts = {words[0], words[1], words[2]};
  } else if (words.size() == 2) {
    facts = {words[0], "", words[1]};
  } else if (words.size() == 1) {
    facts.subnet = words[0];
  }
  return facts;
}

tl::expected<EngineFacts, std::string> probe_engine(const Client& client, const std::string& docker_host,
                                                    bool need_bridge)
{
  const std::string where = docker_host.empty() ? "unix:///var/run/docker.sock" : docker_host;
  const auto version = client.capture(server_version(), ".", os::Stderr::merge);
  if (!version) {
    return tl::unexpected(
        fmt::format("no Docker engine: {} (install docker.io, or the docker client)", version.error()));
  }
  if (version->exit_code != 0) {
    return tl::unexpected(fmt::format("no Docker engine answers at {}: {}", where, first_line(version->output)));
  }
  EngineFacts facts;
  std::istringstream words(version->output);
  words >> facts.api_version >> facts.server_version;
  facts.host_gateway = version_at_least(facts.api_version, 1, 41);
  if (!need_bridge && facts.host_gateway) {
    return facts;
  }
  const auto network = client.capture(bridge_network(), ".", os::Stderr::merge);
  if (!network || network->exit_code != 0) {
    return tl::unexpected(fmt::format("the Docker engine at {} has no default bridge network: {}", where,
                                      network ? first_line(network->output) : network.error()));
  }
  const BridgeFacts bridge = parse_bridge(network->output);
  facts.subnet = bridge.subnet;
  facts.gateway = bridge.gateway;
  if (facts.gateway.empty() && !bridge.interface.empty()) {
    facts.gateway = interface_address(bridge.interface);
  }
  if (facts.gateway.empty()) {
    facts.gateway = first_host_of(facts.subnet);
  }
  return facts;
}

std::string host_address_for_containers(const EngineFacts& facts)
{
  return facts.host_gateway ? "host-gateway" : facts.gateway;
}

tl::expected<int, std::string> remove_run_containers(const Client& client, const std::string& run_id)
{
  const auto listed = client.capture(containers_of_run(run_id), ".", os::Stderr::discard);
  if (!listed || listed->exit_code != 0) {
    return tl::unexpected(std::string("cannot list this run's containers"));
  }
  std::vector<std::string> ids;
  std::istringstream in(listed->output);
  for (std::string id; in >> id;) {
    ids.push_back(id);
  }
  if (ids.empty()) {
    return 0;
  }
  const auto removed = client.capture(remove_containers(ids), ".", os::Stderr::discard);
  if (!removed || removed->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot remove {} container(s) of this run", ids.size()));
  }
  return static_cast<int>(ids.size());
}

} // namespace drydock::docker
