#pragma once
// The web module's parts, shared by its files and its tests: requests and
// responses as Beast has them, the router (no IO but the store and the
// build's files) and the server that runs it.
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "agent/web.hpp"

namespace drydock::agent::web {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// Beast 1.74 has boost::string_view: as the std one.
inline std::string_view view(boost::beast::string_view text) { return {text.data(), text.size()}; }
inline boost::beast::string_view beast_view(std::string_view text) { return {text.data(), text.size()}; }

// A route that streams the build's log (Server-Sent Events) instead of
// answering at once.
struct StreamLog {
  std::int64_t id = 0;
};
// A route that answers with a file as it is now (a build's log, which may
// be huge), read as it is sent; a missing file is an empty body.
struct SendFile {
  std::string path;
  std::string content_type;
};
using Reply = std::variant<Response, StreamLog, SendFile>;

// POST /api/hooks/push (web_hooks.cpp): injected, so that the server can be
// built and tested apart from the webhook's parsing.
using PushRoute = std::function<Response(const Request&, const WebOptions&, AgentControl&)>;

struct Context {
  const WebOptions& options;
  Store& store;
  AgentControl& control;
  const PushRoute& push;
};

Reply route(const Request& request, bool loopback_peer, const Context& context);

// Responses with the headers every answer has (Content-Type, nosniff,
// Cache-Control: no-store).
Response text_response(http::status status, std::string body, std::string_view content_type);
// Those headers, on any response.
template <class Body>
void set_common_headers(http::response<Body>& response, std::string_view content_type)
{
  response.set(http::field::content_type, beast_view(content_type));
  response.set(http::field::cache_control, "no-store");
  response.set("X-Content-Type-Options", "nosniff");
}
Response json_response(http::status status, const nlohmann::ordered_json& body);
Response error_response(http::status status, std::string_view message);

// The build as the API gives it (build_json is its dump).
nlohmann::ordered_json build_object(const Build& build);
// Unix ms → 2026-01-02T03:04:05.678Z.
std::string iso_time(std::int64_t unix_ms);

// The header of a stream's response (the events follow until it closes).
std::string stream_head();

// Turns log bytes into `event: log` messages, whole lines each, one `data:`
// line per log line: CR, LF and CRLF all end a line, so none reaches the
// framing. A line not ended yet is kept for the next call (or sent when
// `final`, or when it grows beyond a message's size).
class LogEvents {
public:
  std::string feed(std::string_view bytes, bool final);

private:
  std::string m_line;      // the line not ended yet
  bool m_after_cr = false; // the last byte was CR: an LF next is the same end
};

// {"status": "..."} as the stream's last message.
std::string status_event(BuildStatus status);

// The UI: the builds list page, a build's page, their script and style.
std::string_view list_page();
std::string_view build_page();
std::string_view ui_script();
std::string_view ui_style();
// The Content-Security-Policy of the UI and of a run record's report.
extern const std::string_view kUiPolicy;
extern const std::string_view kReportPolicy;

// The push webhook's route (web_hooks.cpp), the one WebServer::start gives.
Response push_hook(const Request& request, const WebOptions& options, AgentControl& control);

// How long a client may take to send a request (its headers and body),
// or to take a response: tests shorten it.
struct Deadlines {
  std::chrono::milliseconds read{10000};
  std::chrono::milliseconds write{10000};
};

// The server with the push route given (tests give their own).
tl::expected<std::unique_ptr<WebServer>, std::string>
start_server(const WebOptions& options, Store& store, AgentControl& control, PushRoute push, Deadlines deadlines = {});

// Bearer TOKEN against the configured one, in constant time.
bool token_matches(std::string_view authorization, std::string_view token);

// A browser's read session: POST /api/session with the token sets a
// cookie (HttpOnly, SameSite=Strict, 12 hours), so that what cannot send a
// header (an EventSource, a report's frame) may read from elsewhere. It
// grants reads only. Its name is drydock_read_ and 12 hex digits of an
// HMAC with the token (cookies are the host's, whatever the port: two
// agents on one host keep theirs apart); its value is its expiry (Unix s),
// a dot and the HMAC of that expiry with the token.
inline constexpr std::int64_t kReadSessionSeconds = std::int64_t{12} * 3600;
std::string read_session_name(std::string_view token);
std::string read_session_value(std::string_view token, std::int64_t expires_s);
// The Cookie header's read session: this token's, and not expired at now_s.
bool read_session_matches(std::string_view cookie_header, std::string_view token, std::int64_t now_s);

} // namespace drydock::agent::web
