#include "agent/web_internal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <optional>

namespace drydock::agent {
namespace {

nlohmann::ordered_json text_or_null(const std::string& text)
{
  return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(text);
}

nlohmann::ordered_json time_or_null(std::int64_t unix_ms)
{
  return unix_ms == 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(web::iso_time(unix_ms));
}

// Only a build that ran has a duration (a running one's would need a clock).
nlohmann::ordered_json duration_of(const Build& build)
{
  if (build.started_at == 0 || build.finished_at < build.started_at) {
    return nullptr;
  }
  return build.finished_at - build.started_at;
}

} // namespace

std::string log_path_of(const Build& build) { return build.dir.empty() ? std::string() : build.dir + "/log"; }

std::string report_path_of(const Build& build)
{
  return build.dir.empty() ? std::string() : build.dir + "/record/report.html";
}

// Refs may hold any bytes git allows: what is not UTF-8 shows as U+FFFD.
std::string build_json(const Build& build)
{
  return web::build_object(build).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace drydock::agent

namespace drydock::agent::web {

std::string iso_time(std::int64_t unix_ms)
{
  const auto seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, unix_ms % 1000);
}

nlohmann::ordered_json build_object(const Build& build)
{
  const auto url = fmt::format("/builds/{}", build.id);
  const bool final = is_final(build.status);
  return {{"id", build.id},
          {"number", build.number},
          {"repo", build.repo},
          {"ref", build.ref},
          {"branch", text_or_null(build.branch())},
          {"tag", text_or_null(build.tag())},
          {"sha", build.sha},
          {"author", build.author},
          {"title", build.title},
          {"reason", build.reason},
          {"status", to_string(build.status)},
          {"agent", text_or_null(build.agent)},
          {"queued_at", time_or_null(build.queued_at)},
          {"started_at", time_or_null(build.started_at)},
          {"finished_at", time_or_null(build.finished_at)},
          {"duration_ms", duration_of(build)},
          {"exit_code", final ? nlohmann::ordered_json(build.exit_code) : nlohmann::ordered_json()},
          {"message", build.message},
          {"cancel_requested", build.cancel_requested},
          {"url", url},
          {"log_url", fmt::format("/api/builds/{}/log", build.id)},
          {"report_url", url + "/report"}};
}

Response text_response(http::status status, std::string body, std::string_view content_type)
{
  Response response{status, 11};
  set_common_headers(response, content_type);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response json_response(http::status status, const nlohmann::ordered_json& body)
{
  return text_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

Response error_response(http::status status, std::string_view message)
{
  return json_response(status, {{"error", message}});
}

namespace {

// Every byte of the longer one is looked at, whatever differs first.
bool same_secret(std::string_view given, std::string_view secret)
{
  unsigned char differ = given.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < std::max(given.size(), secret.size()); ++i) {
    const auto a = i < given.size() ? given[i] : '\0';
    const auto b = i < secret.size() ? secret[i] : '\0';
    differ = static_cast<unsigned char>(differ | (a ^ b));
  }
  return differ == 0;
}

// NAME's value in a Cookie header ("a=1; NAME=value"), if it is there.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name)
{
  while (!header.empty()) {
    const auto end = header.find(';');
    auto pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (pair.starts_with(' ')) {
      pair.remove_prefix(1);
    }
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

} // namespace

bool token_matches(std::string_view authorization, std::string_view token)
{
  constexpr std::string_view kBearer = "Bearer ";
  if (token.empty() || !authorization.starts_with(kBearer)) {
    return false;
  }
  return same_secret(authorization.substr(kBearer.size()), token);
}

namespace {
std::string hmac_hex(std::string_view token, std::string_view text)
{
  constexpr std::string_view kPrefix = "sha256=";
  const auto signature = signature_of(token, text);
  return signature.starts_with(kPrefix) ? signature.substr(kPrefix.size()) : std::string();
}
} // namespace

std::string read_session_name(std::string_view token)
{
  return "drydock_read_" + hmac_hex(token, "drydock: the read session's name").substr(0, 12);
}

std::string read_session_value(std::string_view token, std::int64_t expires_s)
{
  return fmt::format("{}.{}", expires_s, hmac_hex(token, fmt::format("drydock: reads until {}", expires_s)));
}

bool read_session_matches(std::string_view cookie_header, std::string_view token, std::int64_t now_s)
{
  if (token.empty()) {
    return false;
  }
  const auto given = cookie_value(cookie_header, read_session_name(token));
  const auto dot = given ? given->find('.') : std::string_view::npos;
  if (dot == std::string_view::npos) {
    return false;
  }
  std::int64_t expires = 0;
  const auto digits = given->substr(0, dot);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), expires);
  if (error != std::errc() || end != digits.data() + digits.size() || expires <= now_s) {
    return false;
  }
  const auto expected = read_session_value(token, expires);
  return !expected.ends_with('.') && same_secret(*given, expected); // no HMAC: no session
}

} // namespace drydock::agent::web
