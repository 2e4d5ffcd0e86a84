#pragma once
// One HTTP request, within a time bound, over http:// or https:// (TLS
// with the system's certificate store, which SSL_CERT_FILE and
// SSL_CERT_DIR can replace, and the host's name checked). The one HTTP
// client of drydock: commit statuses and orb fetching use it.
#include <tl/expected.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drydock::net {

struct Url {
  bool tls = false;
  std::string host; // without the brackets of an IPv6 address
  std::string port; // 80 or 443 unless given
  std::string target;
};

// http://HOST[:PORT][/PATH] or https://...; or why not.
tl::expected<Url, std::string> parse_url(std::string_view url);

struct Request {
  std::string method = "GET"; // GET or POST
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct Response {
  unsigned status = 0;
  std::string body;
};

// The proxy a request to `url` goes through, read from the environment as
// curl reads it: https_proxy (or HTTPS_PROXY) for https, http_proxy (only
// lowercase: a CGI's HTTP_PROXY is a request header) for http, all_proxy
// (or ALL_PROXY) for both; none when no_proxy (or NO_PROXY) names the
// host, a domain of it (example.com or .example.com), or is `*`. An
// http:// proxy (the scheme may be left out; port 1080 when none is
// given); https:// and proxies with a user and password are refused.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
tl::expected<std::optional<Url>, std::string> proxy_for(const Url& url, const EnvLookup& env);

struct Limits {
  std::chrono::milliseconds bound{30000}; // the whole exchange: resolve, connect, TLS, write, read
  std::size_t most_body = 32U << 20U;     // a longer answer is an error, not memory used up
};

// The response, or why none came (no connection, TLS refused, timed out).
// Through `proxy` when given: http as an absolute-form request to it,
// https in a CONNECT tunnel (the certificate checked is the host's).
tl::expected<Response, std::string> send(const Url& url, const Request& request, const Limits& limits = {},
                                         const std::optional<Url>& proxy = std::nullopt);

} // namespace drydock::net
