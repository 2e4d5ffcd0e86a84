#pragma once
// The agent's web UI and JSON API, over Boost.Beast on --listen
// (127.0.0.1:8080 by default). Reads come from the store and the build's
// folder (its log, its run record); writes (rebuild, cancel) need the
// token; the push webhook needs the HMAC signature when a secret is set.
//
//   GET  /                          the builds list (filters: repo, branch, status)
//   GET  /builds/ID                 a build: its report, or while it runs its live log
//   GET  /builds/ID/report          the run record's report.html
//   GET  /api/builds                JSON list, newest first (?repo=&branch=&status=&limit=&before=)
//   GET  /api/builds/ID             JSON of one build
//   GET  /api/builds/ID/log         the log as plain text
//   GET  /api/builds/ID/stream      the log as Server-Sent Events while it grows, then its status
//   POST /api/builds/ID/cancel      token
//   POST /api/builds/ID/rebuild     token
//   POST /api/hooks/push            GitHub's push event or {repo, ref, sha}
//   POST /api/session               token: a cookie for a browser's reads
#include <tl/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/build.hpp"
#include "agent/store.hpp"
#include "agent/webhook.hpp"

namespace drydock::agent {

// What the web asks of the agent beyond reading the store.
class AgentControl {
public:
  virtual ~AgentControl() = default;
  // Queues the pushed commit by the agent's rules (its repos, their branch
  // patterns, coalescing); an error names why not (an unknown repository, a
  // branch not built, a deletion).
  virtual Result<Build> push(const PushEvent& event) = 0;
  // A new build of the same repo, ref and sha.
  virtual Result<Build> rebuild(std::int64_t id) = 0;
  // False when the build is over or unknown.
  virtual Result<bool> cancel(std::int64_t id) = 0;
};

struct WebOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080; // 0: any free port (tests), see WebServer::port()
  std::string token;         // for writes; empty: writes are refused
  std::string hook_secret;   // empty: webhooks are taken unsigned
  // Reads without the token only from loopback peers (a UI on 0.0.0.0
  // still needs the token from elsewhere).
  bool open_reads_on_loopback = true;
};

// The build's files: DIR/log and DIR/record/report.html.
std::string log_path_of(const Build& build);
std::string report_path_of(const Build& build);

// The JSON the API gives for a build (number, repo, branch, tag, sha,
// status, times in ISO 8601 UTC and ms, duration, urls).
std::string build_json(const Build& build);

class WebServer {
public:
  // Listening (the port bound) before it returns, serving on threads of its
  // own until stop() or destruction; at most 64 connections at once.
  static tl::expected<std::unique_ptr<WebServer>, std::string> start(const WebOptions& options, Store& store,
                                                                     AgentControl& control);
  virtual ~WebServer() = default;
  virtual std::uint16_t port() const = 0;
  virtual void stop() = 0; // closes the listener and every connection, SSE streams included
};

} // namespace drydock::agent
