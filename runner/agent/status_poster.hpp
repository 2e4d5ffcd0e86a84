#pragma once
// Commit statuses: on queue, start and finish, a POST of GitHub's statuses
// payload ({"state", "target_url", "description", "context"}) to a URL
// configured per agent, on a thread of its own so a slow receiver never
// holds a build up; retried with backoff, then given up with a warning.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "agent/build.hpp"
#include "net/http_client.hpp"

namespace drydock::agent {

struct StatusTarget {
  // http://HOST:PORT/PATH; {sha}, {repo} and {owner}... in PATH are
  // replaced: http://127.0.0.1:9000/repos/o/r/statuses/{sha}, or https://
  // (the system's certificates, or SSL_CERT_FILE's).
  std::string url_template;
  std::string token;                          // sent as "Authorization: token TOKEN" when set
  std::string context;                        // "drydock" unless set
  int attempts = 5;                           // tries before giving up
  std::chrono::milliseconds first_delay{200}; // doubled after each failure
  // Where the proxy settings are read (https_proxy, no_proxy: net::proxy_for); none: direct.
  net::EnvLookup proxy_settings;
};

// GitHub's state for a build's status: pending (queued, running), success,
// failure (failed), error (error, canceled, interrupted).
std::string_view github_state(BuildStatus status);

// The JSON body of one status.
std::string status_payload(const Build& build, const std::string& target_url, const std::string& context);

// The URL for this build: the template with {sha} and {repo} replaced.
std::string status_url(const std::string& url_template, const Build& build);

class StatusPoster {
public:
  // `warn` gets a line when a status was given up on.
  StatusPoster(StatusTarget target, std::string base_url, std::function<void(const std::string&)> warn);
  ~StatusPoster(); // sends what is pending (bounded by the retries), then stops
  StatusPoster(const StatusPoster&) = delete;
  StatusPoster& operator=(const StatusPoster&) = delete;

  // Queues the build's status now (its target_url: BASE/builds/ID).
  void post(const Build& build);

private:
  using Clock = std::chrono::steady_clock;
  void run();
  void work();
  // Tries the POST by the target's attempts and delays; false: given up.
  bool deliver(const std::string& url, const std::string& body, std::string& why);
  // Waits before a retry; false when stopping left no time for it.
  bool wait_for_retry(std::chrono::milliseconds delay);
  // How long one try may take: 5 s, less while stopping.
  std::chrono::milliseconds try_bound();

  StatusTarget m_target;
  std::string m_base_url;
  std::function<void(const std::string&)> m_warn;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::pair<std::string, std::string>> m_pending; // url, body
  bool m_stopping = false;
  Clock::time_point m_drain_deadline; // stopping: what is pending is given up then
  std::thread m_thread;
};

} // namespace drydock::agent
