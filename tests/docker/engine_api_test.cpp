#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "docker/commands.hpp"
#include "docker/engine_api.hpp"
#include "os/process.hpp"

using namespace drydock;
namespace api = docker::api;

TEST_CASE("the engine's socket: only where the client itself would connect to a local socket", "[docker][api]")
{
  CHECK(api::local_socket({}) == "/var/run/docker.sock");
  CHECK(api::local_socket({"unix:///run/user/1000/docker.sock", "", ""}) == "/run/user/1000/docker.sock");
  CHECK_FALSE(api::local_socket({"tcp://127.0.0.1:2375", "", ""}));
  CHECK_FALSE(api::local_socket({"ssh://build@host", "", ""}));
  CHECK_FALSE(api::local_socket({"unix://", "", ""}));
  CHECK_FALSE(api::local_socket({"", "remote", ""}));
  CHECK(api::local_socket({"", "default", ""}) == "/var/run/docker.sock");
  // A context chosen in config.json, unless DOCKER_HOST overrides it, as the client does.
  CHECK_FALSE(api::local_socket({"", "", R"({"currentContext": "rootless"})"}));
  CHECK(api::local_socket({"", "", R"({"currentContext": "default", "auths": {}})"}) == "/var/run/docker.sock");
  CHECK(api::local_socket({"unix:///x.sock", "", R"({"currentContext": "rootless"})"}) == "/x.sock");
  CHECK(api::local_socket({"", "", "not json {"}) == "/var/run/docker.sock");
}

TEST_CASE("an image reference in the API's path is percent-encoded beyond what a reference may hold", "[docker][api]")
{
  CHECK(api::image_target("drydock-base:bookworm") == "/images/drydock-base:bookworm/json");
  CHECK(api::image_target("registry:5000/team/app:1.2") == "/images/registry:5000/team/app:1.2/json");
  CHECK(api::image_target("app@sha256:ab") == "/images/app@sha256:ab/json");
  CHECK(api::image_target("a b?c#d%") == "/images/a%20b%3Fc%23d%25/json");
}

TEST_CASE("the lines the client prints, from the engine's JSON", "[docker][api]")
{
  using nlohmann::json;
  CHECK(api::version_line(json{{"ApiVersion", "1.41"}, {"Version", "20.10.24+dfsg1"}}) == "1.41 20.10.24+dfsg1\n");
  CHECK_FALSE(api::version_line(json{{"Version", "20.10"}}));
  CHECK_FALSE(api::version_line(json{{"ApiVersion", 1.41}, {"Version", "20.10"}}));
  CHECK(api::inspect_line(json{{"Id", "sha256:1"}, {"RepoTags", {"a:1", "b:2"}}}) == "sha256:1 a:1 b:2\n");
  CHECK(api::inspect_line(json{{"Id", "sha256:1"}, {"RepoTags", json::array()}}) == "sha256:1\n");
  CHECK(api::inspect_line(json{{"Id", "sha256:1"}, {"RepoTags", nullptr}}) == "sha256:1\n");
  CHECK_FALSE(api::inspect_line(json{{"RepoTags", {"a:1"}}}));
  CHECK_FALSE(api::inspect_line(json{{"Id", "sha256:1"}, {"RepoTags", {1}}}));
  const json bridge = json::parse(R"({"IPAM": {"Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
                                      "Options": {"com.docker.network.bridge.name": "docker0"}})");
  CHECK(api::bridge_line(bridge) == "172.17.0.0/16 172.17.0.1 docker0\n");
  // docker 20.10 on some hosts leaves the gateway out; the template prints "".
  const json no_gateway = json::parse(R"({"IPAM": {"Config": [{"Subnet": "10.0.0.0/8"}]}, "Options": {}})");
  CHECK(api::bridge_line(no_gateway) == "10.0.0.0/8  \n");
  CHECK_FALSE(api::bridge_line(json{{"IPAM", {{"Config", nullptr}}}}));
}

namespace {

// A scripted engine on a unix socket: each path gets its status and body,
// over keep-alive connections, until the test ends.
class FakeEngine {
public:
  explicit FakeEngine(std::map<std::string, std::pair<int, std::string>> answers) : m_answers(std::move(answers))
  {
    m_path = (std::filesystem::temp_directory_path() / ("drydock-api-test-" + std::to_string(::getpid()))).string();
    std::filesystem::remove(m_path);
    m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    m_path.copy(address.sun_path, sizeof address.sun_path - 1);
    REQUIRE(::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(m_listener, 4) == 0);
    m_thread = std::thread([this] { serve(); });
  }
  ~FakeEngine()
  {
    ::shutdown(m_listener, SHUT_RDWR);
    m_thread.join();
    ::close(m_listener);
    std::filesystem::remove(m_path);
  }
  FakeEngine(const FakeEngine&) = delete;
  FakeEngine& operator=(const FakeEngine&) = delete;

  std::string host() const { return "unix://" + m_path; }
  int requests() const { return m_requests; }

private:
  void serve()
  {
    for (int connection; (connection = ::accept(m_listener, nullptr, nullptr)) >= 0;) {
      while (answer_one(connection)) {
      }
      ::close(connection);
    }
  }
  bool answer_one(int connection)
  {
    std::string request;
    char buffer[512];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const auto got = ::read(connection, buffer, sizeof buffer);
      if (got <= 0) {
        return false;
      }
      request.append(buffer, static_cast<std::size_t>(got));
    }
    ++m_requests;
    const auto target = request.substr(4, request.find(' ', 4) - 4); // "GET /path HTTP/1.1"
    const auto found = m_answers.find(target);
    const auto [status, body] = found == m_answers.end() ? std::pair{404, std::string("{}")} : found->second;
    const std::string response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n"
                                 + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return ::write(connection, response.data(), response.size()) == static_cast<ssize_t>(response.size());
  }

  std::map<std::string, std::pair<int, std::string>> m_answers;
  std::string m_path;
  int m_listener = -1;
  std::atomic<int> m_requests{0};
  std::thread m_thread;
};

// DOCKER_HOST for one test, put back after it.
class DockerHost {
public:
  explicit DockerHost(const std::string& value)
  {
    if (const char* old = std::getenv("DOCKER_HOST")) {
      m_old = old;
    }
    ::setenv("DOCKER_HOST", value.c_str(), 1);
  }
  ~DockerHost()
  {
    if (m_old) {
      ::setenv("DOCKER_HOST", m_old->c_str(), 1);
    } else {
      ::unsetenv("DOCKER_HOST");
    }
  }
  DockerHost(const DockerHost&) = delete;
  DockerHost& operator=(const DockerHost&) = delete;

private:
  std::optional<std::string> m_old;
};

} // namespace

TEST_CASE("version and image inspect are answered from the socket as the client prints them", "[docker][api]")
{
  FakeEngine engine({
      {"/version", {200, R"({"ApiVersion": "1.43", "Version": "24.0.7", "Os": "linux"})"}},
      {"/images/app:k1/json", {200, R"({"Id": "sha256:aa", "RepoTags": ["app:k1", "app:latest"]})"}},
      {"/images/base:12/json", {200, R"({"Id": "sha256:bb", "RepoTags": ["base:12"]})"}},
      {"/images/broken:1/json", {500, R"({"message": "engine trouble"})"}},
      {"/networks/bridge", {200, R"({"IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]},
                                     "Options": {"com.docker.network.bridge.name": "br0"}})"}},
  });
  const DockerHost host(engine.host());

  const auto version = api::answer(docker::server_version());
  REQUIRE(version);
  CHECK(version->exit_code == 0);
  CHECK(version->output == "1.43 24.0.7\n");
  const auto bridge = api::answer(docker::bridge_network());
  REQUIRE(bridge);
  CHECK(bridge->output == "172.18.0.0/16 172.18.0.1 br0\n");

  // One connection for every image asked for, in the order asked.
  const int before = engine.requests();
  const auto both = api::answer(docker::inspect_images({"app:k1", "base:12"}));
  REQUIRE(both);
  CHECK(both->exit_code == 0);
  CHECK(both->output == "sha256:aa app:k1 app:latest\nsha256:bb base:12\n");
  CHECK(engine.requests() == before + 2);

  // A missing image: the others' lines, and exit status 1, as the client.
  const auto missing = api::answer(docker::inspect_images({"gone:1", "base:12"}));
  REQUIRE(missing);
  CHECK(missing->exit_code == 1);
  CHECK(missing->output == "sha256:bb base:12\n");

  // Anything else is left to the client, which says what went wrong.
  CHECK_FALSE(api::answer(docker::inspect_images({"broken:1"})));
  CHECK_FALSE(api::answer({"docker", "image", "inspect", "--", "app:k1"}));
  CHECK_FALSE(api::answer(docker::save("app:k1")));
}

TEST_CASE("no socket, no answer: the client runs and reports the engine's absence", "[docker][api]")
{
  const DockerHost long_path("unix:///" + std::string(200, 'x'));
  CHECK_FALSE(api::answer(docker::server_version()));
  const DockerHost host("unix:///nonexistent/drydock-test.sock");
  CHECK_FALSE(api::answer(docker::server_version()));
  const DockerHost remote("tcp://127.0.0.1:1");
  CHECK_FALSE(api::answer(docker::inspect_images({"app:1"})));
}

// On the real engine (ctest docker_api.integration): the socket's answers
// are the client's, byte for byte.
TEST_CASE("the real engine: the socket answers as the docker client does", "[.engine]")
{
  const auto client_version = os::run_capture(docker::server_version(), ".", os::Stderr::discard);
  REQUIRE(client_version);
  REQUIRE(client_version->exit_code == 0);
  const auto version = api::answer(docker::server_version());
  REQUIRE(version);
  CHECK(version->output == client_version->output);
  const auto client_bridge = os::run_capture(docker::bridge_network(), ".", os::Stderr::discard);
  REQUIRE(client_bridge);
  const auto bridge = api::answer(docker::bridge_network());
  REQUIRE(bridge);
  CHECK(bridge->output == client_bridge->output);

  const auto images = os::run_capture({"docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}"}, ".");
  REQUIRE(images);
  std::vector<std::string> refs;
  for (std::size_t at = 0, end; (end = images->output.find('\n', at)) != std::string::npos && refs.size() < 3;
       at = end + 1) {
    const auto ref = images->output.substr(at, end - at);
    if (ref.find("<none>") == std::string::npos) {
      refs.push_back(ref);
    }
  }
  REQUIRE_FALSE(refs.empty()); // .ci/setup leaves the base image in the engine
  refs.push_back("drydock-test-missing:nope");
  const auto client = os::run_capture(docker::inspect_images(refs), ".", os::Stderr::discard);
  REQUIRE(client);
  const auto socket = api::answer(docker::inspect_images(refs));
  REQUIRE(socket);
  CHECK(socket->exit_code == client->exit_code);
  CHECK(socket->output == client->output);
}
