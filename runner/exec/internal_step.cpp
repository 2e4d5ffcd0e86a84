#include "exec/internal_step.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <filesystem>

#include "pipeline/json.hpp"

namespace drydock::exec {
namespace {

// A path as JSON can carry any bytes of it: '%' and bytes outside ASCII as
// %XX (a TMPDIR need not be UTF-8; JSON strings must be).
std::string escape_path(const std::string& path)
{
  std::string out;
  for (const unsigned char c : path) {
    out += c == '%' || c >= 0x80 || c < 0x20 ? fmt::format("%{:02X}", c) : std::string(1, static_cast<char>(c));
  }
  return out;
}

std::string unescape_path(const std::string& text)
{
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1]))
        && std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

nlohmann::json cluster_json(const services::ClusterSpec& spec)
{
  return {{"dir", escape_path(spec.dir)},
          {"port", spec.port},
          {"listen", spec.listen},
          {"trust_subnet", spec.trust_subnet},
          {"user", spec.user},
          {"databases", spec.databases},
          {"template_root", escape_path(spec.template_root)}};
}

services::ClusterSpec cluster_of(const nlohmann::json& json)
{
  services::ClusterSpec spec;
  spec.dir = unescape_path(json.at("dir").get<std::string>());
  spec.port = json.at("port").get<int>();
  spec.listen = json.value("listen", std::vector<std::string>());
  spec.trust_subnet = json.value("trust_subnet", std::string());
  spec.user = json.at("user").get<std::string>();
  spec.databases = json.value("databases", std::vector<std::string>());
  spec.template_root = unescape_path(json.value("template_root", std::string()));
  return spec;
}

} // namespace

std::vector<std::string> internal_argv(const std::string& self_exe) { return {self_exe, "internal", "step"}; }

tl::expected<std::string, std::string> encode(const InternalStep& step)
{
  nlohmann::json json = {{"action", pipeline::to_json(step.action)},
                         {"run_tag", step.run_tag},
                         {"run_id", step.run_id},
                         {"owner", step.owner},
                         {"network", step.network},
                         {"tools_dir", escape_path(step.tools_dir)},
                         {"database_port", step.database_port}};
  if (step.cluster) {
    json["cluster"] = cluster_json(*step.cluster);
  }
  try {
    return json.dump();
  } catch (const nlohmann::json::exception& error) {
    return tl::unexpected(fmt::format("cannot hand the step to drydock: {}", error.what()));
  }
}

tl::expected<InternalStep, std::string> decode_internal_step(std::string_view text)
{
  try {
    const auto json = nlohmann::json::parse(text);
    auto action = pipeline::action_from_json(json.at("action"));
    if (!action) {
      return tl::unexpected(action.error());
    }
    InternalStep step;
    step.action = std::move(*action);
    std::error_code ec;
    step.base_dir = std::filesystem::current_path(ec).string(); // the step starts in it
    step.run_tag = json.value("run_tag", std::string("local"));
    step.run_id = json.value("run_id", std::string());
    step.owner = json.value("owner", std::string());
    step.network = json.value("network", std::string());
    step.tools_dir = unescape_path(json.value("tools_dir", std::string()));
    step.database_port = json.value("database_port", 0);
    if (json.contains("cluster")) {
      step.cluster = cluster_of(json["cluster"]);
      if (step.cluster->dir.empty() || step.cluster->port <= 0 || step.cluster->user.empty()) {
        return tl::unexpected(std::string("the cluster needs a directory, a port and a user"));
      }
    }
    return step;
  } catch (const nlohmann::json::exception& error) {
    return tl::unexpected(fmt::format("not a step of drydock's own: {}", error.what()));
  }
}

} // namespace drydock::exec
