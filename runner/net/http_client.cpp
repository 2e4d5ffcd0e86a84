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


namespace drydock::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

http::request<http::string_body> beast_request(const Url& url, const Request& request)
{
  const auto verb = request.method == "POST" ? http::verb::post : http::verb::get;
  http::request<http::string_body> out{verb, url.target, 11};
  const bool default_port = url.port == (url.tls ? "443" : "80");
  const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host; // IPv6
  out.set(http::field::host, default_port ? host : host + ":" + url.port);
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

tl::expected<Response, std::string> send(const Url& url, const Request& request, const Limits& limits)
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
  const auto message = beast_request(url, request);
  Exchange<beast::tcp_stream> over_plain{plain, message, {}, {}, result, limits.most_body};
  Exchange<beast::ssl_stream<beast::tcp_stream>> over_tls{secure, message, {}, {}, result, limits.most_body};
  const auto on_connected = [&](beast::error_code connected, const tcp::endpoint&) {
    result = connected;
    if (connected) {
      return;
    }
    if (!url.tls) {
      over_plain.start();
      return;
    }
    secure.async_handshake(ssl::stream_base::client, [&](beast::error_code shaken) {
      result = shaken;
      if (!shaken) {
        over_tls.start();
      }
    });
  };
  resolver.async_resolve(url.host, url.port, [&](beast::error_code resolved, const tcp::resolver::results_type& to) {
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
  if (result) {
    return tl::unexpected(tls_error(result));
  }
  auto& response = url.tls ? over_tls.parser.get() : over_plain.parser.get();
  return Response{response.result_int(), std::move(response.body())};
}

} // namespace drydock::net
