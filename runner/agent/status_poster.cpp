#include "agent/status_poster.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <algorithm>
#include <cctype>
#include <iostream>

#include "net/http_client.hpp"

namespace drydock::agent {
namespace {

constexpr std::chrono::milliseconds kTryBound{5000};    // connect and request
constexpr std::chrono::milliseconds kDrainBound{10000}; // what is pending when the poster stops

net::Request status_request(const std::string& body, const std::string& token)
{
  net::Request request{"POST", {{"Content-Type", "application/json"}, {"Accept", "application/vnd.github+json"}}, body};
  if (!token.empty()) {
    request.headers.emplace_back("Authorization", "token " + token);
  }
  return request;
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
  if (const auto parsed = net::parse_url(url); !parsed) {
    m_warn("commit status not sent: " + parsed.error());
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
  const auto parsed = net::parse_url(url);
  if (!parsed) {
    why = parsed.error();
    return false;
  }
  const auto proxy = m_target.proxy_settings ? net::proxy_for(*parsed, m_target.proxy_settings)
                                             : tl::expected<std::optional<net::Url>, std::string>();
  if (!proxy) {
    why = proxy.error();
    return false;
  }
  const auto request = status_request(body, m_target.token);
  auto delay = m_target.first_delay;
  for (int attempt = 1; attempt <= m_target.attempts; ++attempt, delay *= 2) {
    const auto bound = try_bound();
    if (bound.count() <= 0) {
      why += " (the poster stopped)";
      return false;
    }
    const auto response = net::send(*parsed, request, {bound}, *proxy);
    if (response && response->status / 100 == 2) {
      return true;
    }
    why = response ? fmt::format("HTTP {}", response->status) : response.error();
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
