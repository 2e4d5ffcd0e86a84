#pragma once
// One HTTP request, within a time bound, over http:// or https:// (TLS
// with the system's certificate store, which SSL_CERT_FILE and
// SSL_CERT_DIR can replace, and the host's name checked). The one HTTP
// client of drydock: commit statuses and orb fetching use it.
#include <tl/expected.hpp>

#include <chrono>
#include <cstddef>
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

struct Limits {
  std::chrono::milliseconds bound{30000}; // the whole exchange: resolve, connect, TLS, write, read
  std::size_t most_body = 32U << 20U;     // a longer answer is an error, not memory used up
};

// The response, or why none came (no connection, TLS refused, timed out).
tl::expected<Response, std::string> send(const Url& url, const Request& request, const Limits& limits = {});

} // namespace drydock::net
