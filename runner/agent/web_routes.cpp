#include "agent/web_internal.hpp"

#include "agent/clock.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

namespace drydock::agent::web {
namespace {

enum class Access { open, read, write, hook };

std::int64_t unix_seconds() { return system_unix_ms() / 1000; }

struct Call {
  const Request& request;
  std::int64_t id = 0;
  std::string_view query;
  const Context& context;
};

using Handler = Reply (*)(const Call&);

struct Route {
  std::string_view pattern; // {id}: a build's id
  http::verb method;
  Access access;
  Handler handler;
};

std::optional<std::int64_t> parse_number(std::string_view text)
{
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || value <= 0) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator)
{
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

// The id when the path fits the pattern (0 for a pattern without one).
std::optional<std::int64_t> match(std::string_view pattern, std::string_view path)
{
  const auto want = split(pattern, '/');
  const auto have = split(path, '/');
  if (want.size() != have.size()) {
    return std::nullopt;
  }
  std::int64_t id = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "{id}") {
      const auto number = parse_number(have[i]);
      if (!number) {
        return std::nullopt;
      }
      id = *number;
    } else if (want[i] != have[i]) {
      return std::nullopt;
    }
  }
  return id;
}

// %XX as its byte, or nothing when XX is not two hex digits.
std::optional<char> hex_byte(std::string_view text)
{
  unsigned byte = 0;
  const auto* end = text.data() + text.size();
  if (text.size() != 2 || std::from_chars(text.data(), end, byte, 16).ptr != end) {
    return std::nullopt;
  }
  return static_cast<char>(byte);
}

std::optional<std::string> url_decode(std::string_view text)
{
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else if (const auto byte = hex_byte(text.substr(i + 1, 2))) {
      out += *byte;
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

tl::expected<void, std::string> set_filter(BuildFilter& filter, std::string_view key, const std::string& value)
{
  if (key == "repo") {
    filter.repo = value;
  } else if (key == "branch") {
    filter.branch = value;
  } else if (key == "status") {
    filter.status = parse_status(value);
    if (!filter.status) {
      return tl::unexpected("unknown status: " + value);
    }
  } else if (key == "limit") {
    const auto limit = parse_number(value);
    if (!limit || *limit > 500) {
      return tl::unexpected(std::string("limit must be a number from 1 to 500"));
    }
    filter.limit = static_cast<int>(*limit);
  } else if (key == "before") {
    filter.before_id = parse_number(value);
    if (!filter.before_id) {
      return tl::unexpected(std::string("before must be a build id"));
    }
  } else {
    return tl::unexpected(fmt::format("unknown parameter: {}", key));
  }
  return {};
}

// An empty value (a form's field left blank) filters nothing.
tl::expected<BuildFilter, std::string> parse_filter(std::string_view query)
{
  BuildFilter filter;
  for (const auto pair : query.empty() ? std::vector<std::string_view>() : split(query, '&')) {
    const auto equals = pair.find('=');
    const auto key = url_decode(pair.substr(0, equals));
    const auto value = url_decode(equals == std::string_view::npos ? "" : pair.substr(equals + 1));
    if (!key || !value) {
      return tl::unexpected(std::string("bad percent-encoding in the query"));
    }
    if (auto set = value->empty() ? tl::expected<void, std::string>() : set_filter(filter, *key, *value); !set) {
      return tl::unexpected(set.error());
    }
  }
  return filter;
}

std::optional<std::string> read_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (path.empty() || !in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

tl::expected<Build, Response> find_build(const Call& call)
{
  auto build = call.context.store.get(call.id);
  if (!build) {
    return tl::unexpected(error_response(http::status::internal_server_error, "store: " + build.error()));
  }
  if (!*build) {
    return tl::unexpected(error_response(http::status::not_found, fmt::format("no build {}", call.id)));
  }
  return **build;
}

Response page(std::string_view html)
{
  auto response = text_response(http::status::ok, std::string(html), "text/html; charset=utf-8");
  response.set("Content-Security-Policy", beast_view(kUiPolicy));
  return response;
}

Reply list_page_route(const Call&) { return page(list_page()); }
Reply build_page_route(const Call&) { return page(build_page()); }

Reply script_route(const Call&)
{
  return text_response(http::status::ok, std::string(ui_script()), "text/javascript; charset=utf-8");
}

Reply style_route(const Call&)
{
  return text_response(http::status::ok, std::string(ui_style()), "text/css; charset=utf-8");
}

Reply report_route(const Call& call)
{
  const auto build = find_build(call);
  if (!build) {
    return build.error();
  }
  auto html = read_file(report_path_of(*build));
  if (!html) {
    return error_response(http::status::not_found, fmt::format("build {} has no report", call.id));
  }
  auto response = text_response(http::status::ok, std::move(*html), "text/html; charset=utf-8");
  response.set("Content-Security-Policy", beast_view(kReportPolicy));
  return response;
}

Reply list_route(const Call& call)
{
  const auto filter = parse_filter(call.query);
  if (!filter) {
    return error_response(http::status::bad_request, filter.error());
  }
  const auto builds = call.context.store.list(*filter);
  if (!builds) {
    return error_response(http::status::internal_server_error, "store: " + builds.error());
  }
  auto list = nlohmann::ordered_json::array();
  for (const auto& build : *builds) {
    list.push_back(build_object(build));
  }
  return json_response(http::status::ok, {{"builds", std::move(list)}});
}

Reply build_route(const Call& call)
{
  const auto build = find_build(call);
  if (!build) {
    return build.error();
  }
  auto object = build_object(*build);
  std::ifstream report(report_path_of(*build));
  object["has_report"] = static_cast<bool>(report);
  return json_response(http::status::ok, object);
}

Reply log_route(const Call& call)
{
  const auto build = find_build(call);
  if (!build) {
    return build.error();
  }
  return SendFile{log_path_of(*build), "text/plain; charset=utf-8"};
}

Reply stream_route(const Call& call)
{
  const auto build = find_build(call);
  if (!build) {
    return build.error();
  }
  return StreamLog{call.id};
}

Reply cancel_route(const Call& call)
{
  const auto canceled = call.context.control.cancel(call.id);
  if (!canceled) {
    return error_response(http::status::unprocessable_entity, canceled.error());
  }
  if (!*canceled) {
    return error_response(http::status::conflict, fmt::format("build {} is over or unknown", call.id));
  }
  return json_response(http::status::ok, {{"id", call.id}, {"canceled", true}});
}

Reply rebuild_route(const Call& call)
{
  const auto build = call.context.control.rebuild(call.id);
  if (!build) {
    return error_response(http::status::unprocessable_entity, build.error());
  }
  return json_response(http::status::created, build_object(*build));
}

// The bearer token was checked: a cookie for the reads a browser cannot
// give a header to.
Reply session_route(const Call& call)
{
  const auto& token = call.context.options.token;
  auto response = text_response(http::status::no_content, "", "text/plain; charset=utf-8");
  response.set(http::field::set_cookie,
               fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict", read_session_name(token),
                           read_session_value(token, unix_seconds() + kReadSessionSeconds), kReadSessionSeconds));
  return response;
}

Reply push_route(const Call& call)
{
  return call.context.push(call.request, call.context.options, call.context.control);
}

constexpr std::array kRoutes{
    Route{"/", http::verb::get, Access::open, list_page_route},
    Route{"/ui.js", http::verb::get, Access::open, script_route},
    Route{"/ui.css", http::verb::get, Access::open, style_route},
    Route{"/builds/{id}", http::verb::get, Access::open, build_page_route},
    Route{"/builds/{id}/report", http::verb::get, Access::read, report_route},
    Route{"/api/builds", http::verb::get, Access::read, list_route},
    Route{"/api/builds/{id}", http::verb::get, Access::read, build_route},
    Route{"/api/builds/{id}/log", http::verb::get, Access::read, log_route},
    Route{"/api/builds/{id}/stream", http::verb::get, Access::read, stream_route},
    Route{"/api/builds/{id}/cancel", http::verb::post, Access::write, cancel_route},
    Route{"/api/builds/{id}/rebuild", http::verb::post, Access::write, rebuild_route},
    Route{"/api/hooks/push", http::verb::post, Access::hook, push_route},
    Route{"/api/session", http::verb::post, Access::write, session_route},
};

Response unauthorized()
{
  auto response = error_response(http::status::unauthorized, "a valid bearer token is needed");
  response.set(http::field::www_authenticate, "Bearer");
  return response;
}

// Why the request may not have what it asks, if it may not.
std::optional<Response> refusal(const Request& request, bool loopback_peer, const WebOptions& options, Access access)
{
  if (access == Access::hook && options.hook_secret.empty() && !loopback_peer) {
    // Unsigned, a hook could name any commit of the mirror as any branch.
    return error_response(http::status::forbidden, "unsigned webhooks are taken from this machine only: give the agent "
                                                   "--hook-secret-file");
  }
  if (access == Access::open || access == Access::hook
      || (access == Access::read && loopback_peer && options.open_reads_on_loopback)) {
    return std::nullopt;
  }
  if (options.token.empty()) {
    return error_response(http::status::forbidden, access == Access::write
                                                       ? "writes are disabled: the agent has no token"
                                                       : "reads from elsewhere need a token, and the agent has none");
  }
  if (token_matches(view(request[http::field::authorization]), options.token)) {
    return std::nullopt;
  }
  if (access == Access::read
      && read_session_matches(view(request[http::field::cookie]), options.token, unix_seconds())) {
    return std::nullopt;
  }
  return unauthorized();
}

} // namespace

Reply route(const Request& request, bool loopback_peer, const Context& context)
{
  const auto target = view(request.target());
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  std::optional<Response> wrong_method;
  for (const auto& candidate : kRoutes) {
    const auto id = match(candidate.pattern, path);
    if (id && candidate.method != request.method()) {
      wrong_method = error_response(http::status::method_not_allowed, "method not allowed");
      wrong_method->set(http::field::allow, http::to_string(candidate.method));
    } else if (id) {
      if (auto refused = refusal(request, loopback_peer, context.options, candidate.access)) {
        return std::move(*refused);
      }
      return candidate.handler(Call{request, *id, query, context});
    }
  }
  return wrong_method ? std::move(*wrong_method) : error_response(http::status::not_found, "not found");
}

} // namespace drydock::agent::web
