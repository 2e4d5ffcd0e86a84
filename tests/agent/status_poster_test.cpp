#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/status_poster.hpp"

using namespace drydock::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

struct Received {
  std::string target;
  std::string authorization;
  std::string content_type;
  std::string body;
};

// A receiver on 127.0.0.1 that answers its first `failures` requests with
// 500, then 201; on a thread of its own until destroyed.
class Receiver {
public:
  explicit Receiver(int failures) : m_failures(failures)
  {
    m_acceptor.open(tcp::v4());
    m_acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    m_acceptor.listen();
    accept();
    m_thread = std::thread([this] { m_io.run(); });
  }
  ~Receiver()
  {
    m_io.stop();
    m_thread.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }

  // The requests once `count` came, or those that came within the timeout.
  std::vector<Received> wait_for(std::size_t count, std::chrono::milliseconds timeout = 5s)
  {
    std::unique_lock lock(m_mutex);
    m_came.wait_for(lock, timeout, [&] { return m_received.size() >= count; });
    return m_received;
  }

private:
  struct Exchange {
    explicit Exchange(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
  };

  void accept()
  {
    m_acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
      if (!error) {
        answer(std::make_shared<Exchange>(std::move(socket)));
        accept();
      }
    });
  }

  void answer(const std::shared_ptr<Exchange>& exchange)
  {
    exchange->stream.expires_after(5s);
    http::async_read(exchange->stream, exchange->buffer, exchange->request,
                     [this, exchange](beast::error_code error, std::size_t) {
                       if (error) {
                         return;
                       }
                       const bool fail = record(exchange->request);
                       exchange->response = {fail ? http::status::internal_server_error : http::status::created, 11};
                       exchange->response.body() = "{}";
                       exchange->response.keep_alive(false);
                       exchange->response.prepare_payload();
                       http::async_write(exchange->stream, exchange->response,
                                         [exchange](beast::error_code, std::size_t) {
                                           beast::error_code ignored;
                                           exchange->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                                         });
                     });
  }

  // Whether this one fails.
  bool record(const http::request<http::string_body>& request)
  {
    const std::lock_guard lock(m_mutex);
    m_received.push_back({std::string(request.target()), std::string(request[http::field::authorization]),
                          std::string(request[http::field::content_type]), request.body()});
    m_came.notify_all();
    return std::ssize(m_received) <= m_failures;
  }

  int m_failures;
  asio::io_context m_io;
  tcp::acceptor m_acceptor{m_io};
  std::mutex m_mutex;
  std::condition_variable m_came;
  std::vector<Received> m_received;
  std::thread m_thread;
};

// The warnings a poster gave, safe to wait for from the test.
struct Warnings {
  std::mutex mutex;
  std::condition_variable came;
  std::vector<std::string> lines;

  std::function<void(const std::string&)> sink()
  {
    return [this](const std::string& line) {
      const std::lock_guard lock(mutex);
      lines.push_back(line);
      came.notify_all();
    };
  }

  std::vector<std::string> wait_for(std::size_t count, std::chrono::milliseconds timeout = 5s)
  {
    std::unique_lock lock(mutex);
    came.wait_for(lock, timeout, [&] { return lines.size() >= count; });
    return lines;
  }
};

Build finished_build()
{
  Build build;
  build.id = 7;
  build.repo = "o/r";
  build.number = 3;
  build.sha = std::string(40, 'c');
  build.status = BuildStatus::success;
  return build;
}

// A port nothing listens on (as far as a test can tell).
std::uint16_t closed_port()
{
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

} // namespace

TEST_CASE("status: GitHub's states, the payload and the URL", "[agent]")
{
  CHECK(github_state(BuildStatus::queued) == "pending");
  CHECK(github_state(BuildStatus::running) == "pending");
  CHECK(github_state(BuildStatus::success) == "success");
  CHECK(github_state(BuildStatus::failed) == "failure");
  CHECK(github_state(BuildStatus::error) == "error");
  CHECK(github_state(BuildStatus::canceled) == "error");
  CHECK(github_state(BuildStatus::interrupted) == "error");

  const auto build = finished_build();
  CHECK(status_payload(build, "http://ci:8080/builds/7", "drydock")
        == R"({"state":"success","target_url":"http://ci:8080/builds/7","description":"drydock build #3: success",)"
           R"("context":"drydock"})");
  CHECK(status_url("http://127.0.0.1:9000/repos/{repo}/statuses/{sha}", build)
        == "http://127.0.0.1:9000/repos/o/r/statuses/" + std::string(40, 'c'));
  auto odd = build;
  odd.repo = "a b?";
  CHECK(status_url("http://h/{repo}/{repo}", odd) == "http://h/a%20b%3F/a%20b%3F");
}

TEST_CASE("status: a failing receiver is retried until it takes the status", "[agent]")
{
  Receiver receiver(2);
  Warnings warnings;
  {
    StatusTarget target;
    target.url_template = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/repos/{repo}/statuses/{sha}";
    target.token = "T0K";
    target.first_delay = 10ms;
    StatusPoster poster(target, "http://ci:8080", warnings.sink());
    poster.post(finished_build());
    REQUIRE(receiver.wait_for(3).size() == 3);
  }
  const auto received = receiver.wait_for(4, 100ms);
  REQUIRE(received.size() == 3); // not a fourth time after its 201
  const auto expected = R"({"state":"success","target_url":"http://ci:8080/builds/7",)"
                        R"("description":"drydock build #3: success","context":"drydock"})";
  for (const auto& one : received) {
    CHECK(one.target == "/repos/o/r/statuses/" + std::string(40, 'c'));
    CHECK(one.authorization == "token T0K");
    CHECK(one.content_type == "application/json");
    CHECK(one.body == expected);
  }
  CHECK(warnings.lines.empty());
}

TEST_CASE("status: through the proxy the settings name, as an absolute-form request", "[agent]")
{
  Receiver proxy(0); // takes the request as a proxy would, and answers it
  Warnings warnings;
  {
    StatusTarget target;
    target.url_template = "http://status.example.invalid/repos/{repo}/statuses/{sha}";
    target.proxy_settings = [&](const std::string& name) -> std::optional<std::string> {
      return name == "http_proxy" ? std::optional<std::string>("127.0.0.1:" + std::to_string(proxy.port()))
                                  : std::nullopt;
    };
    StatusPoster poster(target, "", warnings.sink());
    poster.post(finished_build());
    REQUIRE(proxy.wait_for(1).size() == 1);
  }
  CHECK(proxy.wait_for(1)[0].target == "http://status.example.invalid/repos/o/r/statuses/" + std::string(40, 'c'));
  CHECK(warnings.lines.empty());
}

TEST_CASE("status: proxy settings it cannot use are a warning, not a request", "[agent]")
{
  Warnings warnings;
  StatusTarget target;
  target.url_template = "https://status.example.invalid/s/{sha}";
  target.attempts = 1;
  target.proxy_settings = [](const std::string& name) -> std::optional<std::string> {
    return name == "https_proxy" ? std::optional<std::string>("http://u:p@proxy:1") : std::nullopt;
  };
  StatusPoster poster(target, "", warnings.sink());
  poster.post(finished_build());
  const auto lines = warnings.wait_for(1);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("https_proxy: a proxy with a user and password is not supported") != std::string::npos);
}

TEST_CASE("status: a receiver that is down is given up on with a warning", "[agent]")
{
  Warnings warnings;
  StatusTarget target;
  target.url_template = "http://127.0.0.1:" + std::to_string(closed_port()) + "/s/{sha}";
  target.attempts = 3;
  target.first_delay = 10ms;
  StatusPoster poster(target, "", warnings.sink());
  poster.post(finished_build());
  const auto lines = warnings.wait_for(1);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("given up after 3 attempts") != std::string::npos);
  CHECK(lines[0].find("/s/cccc") != std::string::npos);
}

TEST_CASE("status: the poster's end waits for what is pending, within bounds", "[agent]")
{
  Warnings warnings;
  const auto start = std::chrono::steady_clock::now();
  {
    StatusTarget target;
    target.url_template = "http://127.0.0.1:" + std::to_string(closed_port()) + "/s";
    target.attempts = 3;
    target.first_delay = 20ms;
    StatusPoster poster(target, "", warnings.sink());
    poster.post(finished_build());
    poster.post(finished_build());
  }
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(warnings.lines.size() == 2); // both tried to the end before it returned
}

TEST_CASE("status: only http:// and https:// URLs", "[agent]")
{
  Warnings warnings;
  StatusTarget target;
  target.url_template = "ftp://api.github.com/repos/{repo}/statuses/{sha}";
  StatusPoster poster(target, "", warnings.sink());
  poster.post(finished_build());
  REQUIRE(warnings.lines.size() == 1);
  CHECK(warnings.lines[0].find("is not an http:// or https:// URL") != std::string::npos);
}
