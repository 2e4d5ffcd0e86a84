#include "docker/engine_api.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <sys/un.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace drydock::docker::api {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using Local = asio::local::stream_protocol;

// An engine that has not answered in this long is left to the client.
constexpr auto kTimeout = std::chrono::seconds(5);

std::string environment(const char* name)
{
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string read_text(const std::string& path)
{
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_default_context(const std::string& name) { return name.empty() || name == "default"; }

std::string current_context(const std::string& config_json)
{
  const auto config = nlohmann::json::parse(config_json, nullptr, false);
  if (!config.is_object() || !config.contains("currentContext") || !config["currentContext"].is_string()) {
    return {};
  }
  return config["currentContext"].get<std::string>();
}

std::optional<std::string> string_field(const nlohmann::json& object, const char* name)
{
  const auto field = object.find(name);
  if (field == object.end() || !field->is_string()) {
    return std::nullopt;
  }
  return field->get<std::string>();
}

struct Response {
  unsigned status = 0;
  std::string body;
};

// One connection to the engine's socket, for GET requests in turn, each
// bounded by kTimeout. Any failure leaves the connection unusable.
class Connection {
public:
  bool open(const std::string& path)
  {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) {
      return false; // asio would throw; the client says what is wrong
    }
    boost::system::error_code error = asio::error::timed_out;
    m_socket.async_connect(Local::endpoint(path), [&](boost::system::error_code connected) { error = connected; });
    run_bounded();
    m_broken = static_cast<bool>(error);
    return !m_broken;
  }

  std::optional<Response> get(const std::string& target)
  {
    if (m_broken) {
      return std::nullopt; // a timed-out request's handlers must never run later
    }
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "docker");
    http::response<http::string_body> response;
    boost::system::error_code error = asio::error::timed_out;
    http::async_write(m_socket, request, [&](boost::system::error_code written, std::size_t) {
      if (written) {
        error = written;
        return;
      }
      http::async_read(m_socket, m_buffer, response,
                       [&](boost::system::error_code read, std::size_t) { error = read; });
    });
    run_bounded();
    if (error) {
      m_broken = true;
      return std::nullopt;
    }
    return Response{response.result_int(), std::move(response.body())};
  }

private:
  // Runs what was started for at most kTimeout; what is left is cancelled
  // and its handlers run now, while what they refer to still exists.
  void run_bounded()
  {
    m_io.restart();
    m_io.run_for(kTimeout);
    if (!m_io.stopped()) {
      boost::system::error_code ignored;
      m_socket.close(ignored);
      m_io.restart();
      m_io.run();
    }
  }

  bool m_broken = false;
  asio::io_context m_io;
  Local::socket m_socket{m_io};
  boost::beast::flat_buffer m_buffer;
};

bool unreserved(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
         || std::string_view("-._~/:@").find(c) != std::string_view::npos;
}

std::optional<nlohmann::json> json_of(const Response& response)
{
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (!parsed.is_object()) {
    return std::nullopt;
  }
  return parsed;
}

// One GET whose JSON the client would print as one line (`format`).
std::optional<os::CaptureResult> ask_line(Connection& engine, const std::string& target,
                                          std::optional<std::string> (*format)(const nlohmann::json&))
{
  const auto response = engine.get(target);
  const auto json = response && response->status == 200 ? json_of(*response) : std::nullopt;
  auto line = json ? format(*json) : std::nullopt;
  if (!line) {
    return std::nullopt;
  }
  return os::CaptureResult{0, std::move(*line)};
}

// As the client does: a line for each image found, in the order asked,
// and exit status 1 when any is missing.
std::optional<os::CaptureResult> ask_images(Connection& engine, const std::vector<std::string>& refs)
{
  os::CaptureResult result;
  for (const auto& ref : refs) {
    const auto response = engine.get(image_target(ref));
    if (response && response->status == 404) {
      result.exit_code = 1;
      continue;
    }
    const auto image = response && response->status == 200 ? json_of(*response) : std::nullopt;
    const auto line = image ? inspect_line(*image) : std::nullopt;
    if (!line) {
      return std::nullopt;
    }
    result.output += *line;
  }
  return result;
}

// The refs of an inspect_images argv, or nothing for any other argv.
std::optional<std::vector<std::string>> inspected_refs(const Argv& argv)
{
  const Argv prefix = inspect_images({});
  if (argv.size() <= prefix.size() || !std::equal(prefix.begin(), prefix.end(), argv.begin())) {
    return std::nullopt;
  }
  return std::vector<std::string>(argv.begin() + static_cast<std::ptrdiff_t>(prefix.size()), argv.end());
}

} // namespace

ClientSettings settings_from_environment()
{
  std::string config_dir = environment("DOCKER_CONFIG");
  if (config_dir.empty() && !environment("HOME").empty()) {
    config_dir = environment("HOME") + "/.docker";
  }
  return {environment("DOCKER_HOST"), environment("DOCKER_CONTEXT"),
          config_dir.empty() ? std::string() : read_text(config_dir + "/config.json")};
}

std::optional<std::string> local_socket(const ClientSettings& settings)
{
  if (!is_default_context(settings.docker_context)) {
    return std::nullopt;
  }
  if (settings.docker_host.empty()) {
    if (!is_default_context(current_context(settings.config_json))) {
      return std::nullopt;
    }
    return "/var/run/docker.sock";
  }
  constexpr std::string_view scheme = "unix://";
  if (settings.docker_host.rfind(scheme, 0) != 0 || settings.docker_host.size() == scheme.size()) {
    return std::nullopt;
  }
  return settings.docker_host.substr(scheme.size());
}

std::string image_target(std::string_view ref)
{
  std::string target = "/images/";
  for (const char c : ref) {
    target += unreserved(c) ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return target + "/json";
}

std::optional<std::string> version_line(const nlohmann::json& version)
{
  const auto api_version = string_field(version, "ApiVersion");
  const auto server = string_field(version, "Version");
  if (!api_version || !server) {
    return std::nullopt;
  }
  return fmt::format("{} {}\n", *api_version, *server);
}

std::optional<std::string> inspect_line(const nlohmann::json& image)
{
  auto line = string_field(image, "Id");
  const auto tags = image.find("RepoTags");
  if (!line || (tags != image.end() && !tags->is_array() && !tags->is_null())) {
    return std::nullopt;
  }
  if (tags != image.end() && tags->is_array()) {
    for (const auto& tag : *tags) {
      if (!tag.is_string()) {
        return std::nullopt;
      }
      *line += " " + tag.get<std::string>();
    }
  }
  return *line + "\n";
}

std::optional<std::string> bridge_line(const nlohmann::json& network)
{
  // Go's template prints a missing map key or struct field as "".
  const auto ipam = network.find("IPAM");
  const auto options = network.find("Options");
  if (ipam == network.end() || !ipam->is_object() || options == network.end() || !options->is_object()) {
    return std::nullopt;
  }
  std::string line;
  const auto configs = ipam->find("Config");
  if (configs != ipam->end() && configs->is_array()) {
    for (const auto& config : *configs) {
      if (!config.is_object()) {
        return std::nullopt;
      }
      line += string_field(config, "Subnet").value_or("") + " " + string_field(config, "Gateway").value_or("");
    }
  }
  return line + " " + string_field(*options, "com.docker.network.bridge.name").value_or("") + "\n";
}

std::optional<os::CaptureResult> answer(const Argv& argv)
{
  // Whatever goes wrong here (asio throws on a full file table) leaves
  // the question to the client.
  try {
    return answer_from_socket(argv);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<os::CaptureResult> answer_from_socket(const Argv& argv)
{
  enum class Query { version, bridge, images };
  const auto refs = inspected_refs(argv);
  std::optional<Query> query;
  if (argv == server_version()) {
    query = Query::version;
  } else if (argv == bridge_network()) {
    query = Query::bridge;
  } else if (refs) {
    query = Query::images;
  }
  const auto socket = query ? local_socket(settings_from_environment()) : std::nullopt;
  Connection engine;
  if (!socket || !engine.open(*socket)) {
    return std::nullopt;
  }
  switch (*query) {
  case Query::version: return ask_line(engine, "/version", version_line);
  case Query::bridge: return ask_line(engine, "/networks/bridge", bridge_line);
  case Query::images: return ask_images(engine, *refs);
  }
  return std::nullopt;
}

} // namespace drydock::docker::api
