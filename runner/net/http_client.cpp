#include "net/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>

#include "util/lines.hpp"


namespace drydock::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// The host as a URL or a header writes it: an IPv6 address in brackets.
std::string bracketed_host(const Url& url)
{
  return url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
}

// HOST or HOST:PORT (a port that is not the scheme's), as a Host header has it.
std::string host_header(const Url& url)
{
  const bool default_port = url.port == (url.tls ? "443" : "80");
  return default_port ? bracketed_host(url) : bracketed_host(url) + ":" + url.port;
}

// `target`: the URL's path, or the whole URL for a request to a proxy.
http::request<http::string_body> beast_request(const Url& url, const Request& request, const std::string& target)
{
  const auto verb = request.method == "POST" ? http::verb::post : http::verb::get;
  http::request<http::string_body> out{verb, target, 11};
  out.set(http::field::host, host_header(url));
  out.set(http::field::user_agent, "drydock");
  for (const auto& [name, value] : request.headers) {
    out.set(name, value);
  }
  out.body() = request.body;
  out.prepare_payload();
  return out;
}

// One exchange on an open stream: write the request, read the response.
// `result` holds the first error, or success once the response is read.
template <typename Stream>
struct Exchange {
  Stream& stream;
  const http::request<http::string_body>& request; // the one request, sent over one of the streams
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  beast::error_code& result;

  std::size_t most_body = 0;

  void start()
  {
    parser.body_limit(most_body);
    http::async_write(stream, request, [this](beast::error_code written, std::size_t) {
      result = written;
      if (!written) {
        read_header();
      }
    });
  }

  // The header first: a Content-Length past the limit is refused before
  // its body is read (the parser's limit alone lets a first read run on).
  void read_header()
  {
    http::async_read_header(stream, buffer, parser, [this](beast::error_code done, std::size_t) {
      result = done;
      if (done) {
        return;
      }
      if (parser.content_length() && *parser.content_length() > most_body) {
        result = http::error::body_limit;
        return;
      }
      http::async_read(stream, buffer, parser, [this](beast::error_code read, std::size_t) { result = read; });
    });
  }
};

// A CONNECT tunnel through a proxy to the URL's host, then `then` (the TLS handshake).
struct Tunnel {
  beast::tcp_stream& stream;
  http::request<http::empty_body> request;
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  beast::error_code& result;
  std::function<void()> then;
  unsigned refused = 0; // the proxy's status when it was not 2xx

  void start()
  {
    http::async_write(stream, request, [this](beast::error_code written, std::size_t) {
      result = written;
      if (!written) {
        read_answer();
      }
    });
  }

  void read_answer()
  {
    parser.skip(true); // a CONNECT answer has no body: the tunnel follows its header
    http::async_read_header(stream, buffer, parser, [this](beast::error_code done, std::size_t) {
      result = done;
      if (done) {
        return;
      }
      if (parser.get().result_int() / 100 != 2 || buffer.size() != 0) {
        refused = parser.get().result_int();
        result = asio::error::connection_refused;
        return;
      }
      then();
    });
  }
};

http::request<http::empty_body> connect_request(const Url& url)
{
  const std::string authority = bracketed_host(url) + ":" + url.port;
  http::request<http::empty_body> out{http::verb::connect, authority, 11};
  out.set(http::field::host, authority);
  out.set(http::field::user_agent, "drydock");
  return out;
}

// The first of `names` set to something, with its name.
std::optional<std::pair<std::string, std::string>> first_set(const EnvLookup& env,
                                                             std::initializer_list<const char*> names)
{
  for (const auto* name : names) {
    if (auto value = env(name); value && !value->empty()) {
      return std::make_pair(std::string(name), std::move(*value));
    }
  }
  return std::nullopt;
}

bool same_name(std::string_view a, std::string_view b)
{
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether a no_proxy entry (a host, a domain, .domain) covers `host`.
bool covers(std::string_view entry, std::string_view host)
{
  while (!entry.empty() && entry.front() == '.') {
    entry.remove_prefix(1);
  }
  if (entry.empty() || entry.size() > host.size()) {
    return false;
  }
  const auto tail = host.substr(host.size() - entry.size());
  return same_name(tail, entry) && (host.size() == entry.size() || host[host.size() - entry.size() - 1] == '.');
}

bool bypasses_proxy(const Url& url, std::string_view no_proxy)
{
  for (auto entry : util::split(no_proxy, ',')) {
    while (!entry.empty() && entry.front() == ' ') {
      entry.remove_prefix(1);
    }
    while (!entry.empty() && entry.back() == ' ') {
      entry.remove_suffix(1);
    }
    if (entry == "*" || covers(entry, url.host)) {
      return true;
    }
  }
  return false;
}

std::string tls_error(const beast::error_code& error)
{
  if (error.category() == asio::error::get_ssl_category()) {
    return fmt::format("TLS: {}", error.message());
  }
  return error.message();
}

} // namespace

tl::expected<Url, std::string> parse_url(std::string_view url)
{
  Url parsed;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    parsed.tls = true;
    rest = url.substr(8);
  } else {
    return tl::unexpected(fmt::format("{} is not an http:// or https:// URL", url));
  }
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  parsed.host = authority;
  parsed.port = parsed.tls ? "443" : "80";
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    parsed.host = authority.substr(0, colon);
    parsed.port = authority.substr(colon + 1);
  }
  if (parsed.host.size() > 2 && parsed.host.front() == '[' && parsed.host.back() == ']') {
    parsed.host = parsed.host.substr(1, parsed.host.size() - 2);
  }
  if (parsed.host.empty() || parsed.port.empty() || authority.find('@') != std::string_view::npos) {
    return tl::unexpected(fmt::format("{} names no host or port", url));
  }
  return parsed;
}

tl::expected<std::optional<Url>, std::string> proxy_for(const Url& url, const EnvLookup& env)
{
  const auto named = url.tls ? first_set(env, {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
                             : first_set(env, {"http_proxy", "all_proxy", "ALL_PROXY"});
  if (!named) {
    return std::nullopt;
  }
  if (const auto no_proxy = first_set(env, {"no_proxy", "NO_PROXY"});
      no_proxy && bypasses_proxy(url, no_proxy->second)) {
    return std::nullopt;
  }
  const auto& [name, written] = *named;
  const std::string text = written.find("://") == std::string::npos ? "http://" + written : written;
  const auto authority = std::string_view(text).substr(text.find("://") + 3);
  if (authority.substr(0, authority.find('/')).find('@') != std::string_view::npos) {
    return tl::unexpected(fmt::format("{}: a proxy with a user and password is not supported", name));
  }
  if (!text.starts_with("http://")) {
    return tl::unexpected(fmt::format("{}: {} is not an http:// proxy (the only kind drydock uses)", name, written));
  }
  auto proxy = parse_url(text);
  if (!proxy) {
    return tl::unexpected(fmt::format("{}: {}", name, proxy.error()));
  }
  const auto host_port = authority.substr(0, authority.find('/'));
  const auto bracket = host_port.rfind(']');
  if (host_port.find(':', bracket == std::string_view::npos ? 0 : bracket) == std::string_view::npos) {
    proxy->port = "1080"; // as curl has it
  }
  return std::optional<Url>(std::move(*proxy));
}

tl::expected<Response, std::string> send(const Url& url, const Request& request, const Limits& limits,
                                         const std::optional<Url>& proxy)
{
  asio::io_context io;
  tcp::resolver resolver(io);
  ssl::context context(ssl::context::tls_client);
  context.set_default_verify_paths();
  context.set_verify_mode(ssl::verify_peer);
  beast::tcp_stream plain(io);
  beast::ssl_stream<beast::tcp_stream> secure(io, context); // used only for https
  if (url.tls) {
    secure.set_verify_callback(ssl::host_name_verification(url.host)); // an IP address is checked as one
    beast::error_code not_address;
    asio::ip::make_address(url.host, not_address);
    if (not_address) { // SNI, by which the server picks its certificate, is for names only
      SSL_set_tlsext_host_name(secure.native_handle(),
                               url.host.c_str()); // NOLINT(cppcoreguidelines-pro-type-cstyle-cast)
    }
  }
  beast::tcp_stream& socket = url.tls ? beast::get_lowest_layer(secure) : plain;
  beast::error_code result = asio::error::timed_out;
  const bool absolute = proxy && !url.tls; // a plain request to a proxy names the whole URL
  const auto message = beast_request(url, request, absolute ? "http://" + host_header(url) + url.target : url.target);
  Exchange<beast::tcp_stream> over_plain{plain, message, {}, {}, result, limits.most_body};
  Exchange<beast::ssl_stream<beast::tcp_stream>> over_tls{secure, message, {}, {}, result, limits.most_body};
  const auto handshake = [&] {
    secure.async_handshake(ssl::stream_base::client, [&](beast::error_code shaken) {
      result = shaken;
      if (!shaken) {
        over_tls.start();
      }
    });
  };
  Tunnel tunnel{socket, connect_request(url), {}, {}, result, handshake};
  bool reached = false; // the peer (the proxy, when there is one) took the connection
  const auto on_connected = [&](beast::error_code connected, const tcp::endpoint&) {
    result = connected;
    reached = !connected;
    if (connected) {
      return;
    }
    if (!url.tls) {
      over_plain.start();
    } else if (proxy) {
      tunnel.start();
    } else {
      handshake();
    }
  };
  const Url& peer = proxy ? *proxy : url;
  resolver.async_resolve(peer.host, peer.port, [&](beast::error_code resolved, const tcp::resolver::results_type& to) {
    result = resolved;
    if (!resolved) {
      socket.async_connect(to, on_connected);
    }
  });
  io.run_for(limits.bound);
  if (!io.stopped()) {
    // What is left is cancelled; its handlers run now, while what they use lives.
    resolver.cancel();
    socket.close();
    io.restart();
    io.run();
    result = asio::error::timed_out;
  }
  if (result == http::error::body_limit) {
    return tl::unexpected(fmt::format("its answer is larger than {} MB", limits.most_body >> 20U));
  }
  if (tunnel.refused != 0) {
    return tl::unexpected(fmt::format("the proxy {} answered HTTP {} to CONNECT {}", host_header(*proxy),
                                      tunnel.refused, std::string(tunnel.request.target())));
  }
  if (result) {
    return tl::unexpected(proxy && !reached ? fmt::format("the proxy {}: {}", host_header(*proxy), result.message())
                                            : tls_error(result));
  }
  auto& response = url.tls ? over_tls.parser.get() : over_plain.parser.get();
  return Response{response.result_int(), std::move(response.body())};
}

} // namespace drydock::net
