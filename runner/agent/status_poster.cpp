#include "agent/status_poster.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>

namespace drydock::agent {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::milliseconds kTryBound{5000};    // connect and request
constexpr std::chrono::milliseconds kDrainBound{10000}; // what is pending when the poster stops

struct HttpUrl {
  std::string host;
  std::string port;
  std::string target;
};

tl::expected<HttpUrl, std::string> parse_http_url(std::string_view url)
{
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return tl::unexpected(fmt::format("{} is not an http:// URL", url));
  }
  const auto rest = url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  HttpUrl parsed{std::string(authority), "80", slash == std::string_view::npos ? "/" : std::string(rest.substr(slash))};
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    parsed.host = authority.substr(0, colon);
    parsed.port = authority.substr(colon + 1);
  }
  if (parsed.host.size() > 2 && parsed.host.front() == '[' && parsed.host.back() == ']') {
    parsed.host = parsed.host.substr(1, parsed.host.size() - 2);
  }
  if (parsed.host.empty() || parsed.port.empty()) {
    return tl::unexpected(fmt::format("{} names no host or port", url));
  }
  return parsed;
}

http::request<http::string_body> status_request(const HttpUrl& url, const std::string& body, const std::string& token)
{
  http::request<http::string_body> request{http::verb::post, url.target, 11};
  request.set(http::field::host, url.host);
  request.set(http::field::user_agent, "drydock");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "application/vnd.github+json");
  if (!token.empty()) {
    request.set(http::field::authorization, "token " + token);
  }
  request.body() = body;
  request.prepare_payload();
  return request;
}

// One POST within `bound`: the response's status code, or why none came.
tl::expected<unsigned, std::string> post_once(const HttpUrl& url, const http::request<http::string_body>& request,
                                              std::chrono::milliseconds bound)
{
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code result = asio::error::timed_out;
  const auto on_written = [&](beast::error_code written, std::size_t) {
    result = written;
    if (!written) {
      http::async_read(stream, buffer, response, [&](beast::error_code done, std::size_t) { result = done; });
    }
  };
  const auto on_connected = [&](beast::error_code connected, const tcp::endpoint&) {
    result = connected;
    if (!connected) {
      http::async_write(stream, request, on_written);
    }
  };
  resolver.async_resolve(url.host, url.port, [&](beast::error_code resolved, const tcp::resolver::results_type& to) {
    result = resolved;
    if (!resolved) {
      stream.async_connect(to, on_connected);
    }
  });
  io.run_for(bound);
  if (!io.stopped()) {
    // What is left is cancelled; its handlers run now, while what they use lives.
    resolver.cancel();
    stream.close();
    io.restart();
    io.run();
    result = asio::error::timed_out;
  }
  if (result) {
    return tl::unexpected(result.message());
  }
  return response.result_int();
}

// {repo} may be OWNER/NAME: its slashes stay.
std::string path_escaped(std::string_view text)
{
  std::string out;
  for (const char c : text) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c))
                       || std::string_view("-._~/").find(c) != std::string_view::npos;
    out += plain ? std::string(1, c) : fmt::format("%{:02X}", static_cast<unsigned char>(c));
  }
  return out;
}

void replace_all(std::string& text, std::string_view from, std::string_view to)
{
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

} // namespace

std::string_view github_state(BuildStatus status)
{
  switch (status) {
  case BuildStatus::queued:
  case BuildStatus::running: return "pending";
  case BuildStatus::success: return "success";
  case BuildStatus::failed: return "failure";
  case BuildStatus::error:
  case BuildStatus::canceled:
  case BuildStatus::interrupted: return "error";
  }
  return "error";
}

std::string status_payload(const Build& build, const std::string& target_url, const std::string& context)
{
  nlohmann::ordered_json payload{{"state", github_state(build.status)}};
  if (!target_url.empty()) {
    payload["target_url"] = target_url;
  }
  payload["description"] = fmt::format("drydock build #{}: {}", build.number, to_string(build.status));
  payload["context"] = context;
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); // a ref's bytes may be any
}

std::string status_url(const std::string& url_template, const Build& build)
{
  auto url = url_template;
  replace_all(url, "{sha}", path_escaped(build.sha));
  replace_all(url, "{repo}", path_escaped(build.repo));
  return url;
}

StatusPoster::StatusPoster(StatusTarget target, std::string base_url, std::function<void(const std::string&)> warn)
  : m_target(std::move(target)), m_base_url(std::move(base_url)), m_warn(std::move(warn))
{
  if (m_target.context.empty()) {
    m_target.context = "drydock";
  }
  m_thread = std::thread([this] { run(); });
}

StatusPoster::~StatusPoster()
{
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
    m_drain_deadline = Clock::now() + kDrainBound;
  }
  m_wake.notify_all();
  m_thread.join();
}

void StatusPoster::post(const Build& build)
{
  auto url = status_url(m_target.url_template, build);
  if (const auto parsed = parse_http_url(url); !parsed) {
    m_warn("commit status not sent: " + parsed.error() + " (only http://HOST:PORT/PATH)");
    return;
  }
  const auto target_url = m_base_url.empty() ? std::string() : fmt::format("{}/builds/{}", m_base_url, build.id);
  auto body = status_payload(build, target_url, m_target.context);
  {
    const std::lock_guard lock(m_mutex);
    if (m_stopping) {
      return;
    }
    m_pending.emplace_back(std::move(url), std::move(body));
  }
  m_wake.notify_all();
}

// The one catch of the poster's thread: a warning that threw loses its
// status, the thread goes on with the next.
void StatusPoster::run()
{
  for (;;) {
    try {
      work();
      return;
    } catch (const std::exception& error) {
      std::cerr << "drydock agent: commit status: " << error.what() << "\n";
    }
  }
}

void StatusPoster::work()
{
  for (;;) {
    std::unique_lock lock(m_mutex);
    m_wake.wait(lock, [this] { return m_stopping || !m_pending.empty(); });
    if (m_pending.empty()) {
      return; // stopping, and nothing left
    }
    const auto [url, body] = std::move(m_pending.front());
    m_pending.pop_front();
    lock.unlock();
    if (std::string why; !deliver(url, body, why)) {
      m_warn(fmt::format("commit status to {} given up after {} attempts: {}", url, m_target.attempts, why));
    }
  }
}

bool StatusPoster::deliver(const std::string& url, const std::string& body, std::string& why)
{
  const auto parsed = parse_http_url(url);
  if (!parsed) {
    why = parsed.error();
    return false;
  }
  const auto request = status_request(*parsed, body, m_target.token);
  auto delay = m_target.first_delay;
  for (int attempt = 1; attempt <= m_target.attempts; ++attempt, delay *= 2) {
    const auto bound = try_bound();
    if (bound.count() <= 0) {
      why += " (the poster stopped)";
      return false;
    }
    const auto status = post_once(*parsed, request, bound);
    if (status && *status / 100 == 2) {
      return true;
    }
    why = status ? fmt::format("HTTP {}", *status) : status.error();
    if (attempt == m_target.attempts || !wait_for_retry(delay)) {
      return false;
    }
  }
  return false;
}

std::chrono::milliseconds StatusPoster::try_bound()
{
  const std::lock_guard lock(m_mutex);
  if (!m_stopping) {
    return kTryBound;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(m_drain_deadline - Clock::now());
  return std::clamp(left, std::chrono::milliseconds(0), kTryBound);
}

bool StatusPoster::wait_for_retry(std::chrono::milliseconds delay)
{
  std::unique_lock lock(m_mutex);
  const auto until = Clock::now() + delay;
  for (;;) {
    // Stopping shortens the wait to the drain's end; a stop wakes us to see it.
    const bool stopping = m_stopping;
    const auto bound = stopping ? std::min(until, m_drain_deadline) : until;
    if (Clock::now() >= bound) {
      return !stopping || Clock::now() < m_drain_deadline;
    }
    m_wake.wait_until(lock, bound, [&] { return m_stopping != stopping; });
  }
}

} // namespace drydock::agent
