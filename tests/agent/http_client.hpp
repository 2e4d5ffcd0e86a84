#pragma once
// A small HTTP client for the agent's tests, over Beast, every wait
// bounded: whole requests, and a raw connection read bit by bit (streams,
// connections held open).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace drydock::agent::test {

namespace http = boost::beast::http;
using HttpResponse = http::response<http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A connection to 127.0.0.1:PORT; each call runs its IO for at most `timeout`.
class RawConnection {
public:
  explicit RawConnection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5))
    : m_timeout(timeout)
  {
    boost::system::error_code error = boost::asio::error::timed_out;
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    m_socket.async_connect(endpoint, [&](boost::system::error_code connected) { error = connected; });
    run_bounded(m_timeout);
    m_connected = !error;
  }

  bool connected() const { return m_connected; }
  bool closed() const { return m_closed; }
  const std::string& received() const { return m_received; }

  bool send(const std::string& bytes)
  {
    boost::system::error_code error = boost::asio::error::timed_out;
    boost::asio::async_write(m_socket, boost::asio::buffer(bytes),
                             [&](boost::system::error_code written, std::size_t) { error = written; });
    run_bounded(m_timeout);
    return !error;
  }

  // Reads until `text` was received (from the connection's start), the
  // peer closed, or the timeout: true when `text` came.
  bool read_until(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(5))
  {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_received.find(text) == std::string::npos && !m_closed) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                              - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_some(left)) {
        break;
      }
    }
    return m_received.find(text) != std::string::npos;
  }

  // Reads until the peer closes: true when it did within the timeout.
  bool read_to_end(std::chrono::milliseconds timeout = std::chrono::seconds(5))
  {
    read_until(std::string(1, '\0') + "never", timeout);
    return m_closed;
  }

  void close()
  {
    boost::system::error_code ignored;
    m_socket.close(ignored);
  }

private:
  bool read_some(std::chrono::milliseconds timeout)
  {
    char chunk[4096];
    boost::system::error_code error = boost::asio::error::timed_out;
    std::size_t got = 0;
    m_socket.async_read_some(boost::asio::buffer(chunk), [&](boost::system::error_code done, std::size_t n) {
      error = done;
      got = n;
    });
    run_bounded(timeout);
    m_received.append(chunk, got);
    if (error && error != boost::asio::error::operation_aborted) {
      m_closed = true; // EOF or reset
    }
    return !error;
  }

  void run_bounded(std::chrono::milliseconds timeout)
  {
    m_io.restart();
    m_io.run_for(timeout);
    if (!m_io.stopped()) {
      boost::system::error_code ignored;
      m_socket.cancel(ignored);
      m_io.restart();
      m_io.run();
    }
  }

  std::chrono::milliseconds m_timeout;
  boost::asio::io_context m_io;
  boost::asio::ip::tcp::socket m_socket{m_io};
  bool m_connected = false;
  bool m_closed = false;
  std::string m_received;
};

// One request on a connection of its own; nothing when no whole response
// came within the timeout.
inline std::optional<HttpResponse> request(std::uint16_t port, http::verb method, const std::string& target,
                                           const Headers& headers = {}, const std::string& body = {},
                                           std::chrono::milliseconds timeout = std::chrono::seconds(5))
{
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  http::request<http::string_body> message{method, target, 11};
  message.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) {
    message.set(name, value);
  }
  message.body() = body;
  message.prepare_payload();
  boost::beast::flat_buffer buffer;
  HttpResponse response;
  boost::system::error_code result = boost::asio::error::timed_out;
  stream.expires_after(timeout);
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
  stream.async_connect(endpoint, [&](boost::system::error_code connected) {
    if (connected) {
      result = connected;
      return;
    }
    http::async_write(stream, message, [&](boost::system::error_code written, std::size_t) {
      if (written) {
        result = written;
        return;
      }
      http::async_read(stream, buffer, response, [&](boost::system::error_code done, std::size_t) { result = done; });
    });
  });
  io.run();
  if (result) {
    return std::nullopt;
  }
  return response;
}

inline std::optional<HttpResponse> get(std::uint16_t port, const std::string& target, const Headers& headers = {})
{
  return request(port, http::verb::get, target, headers);
}

} // namespace drydock::agent::test
