// The server: Beast over one io_context run by a few threads, each
// connection on a strand of its own. Every read has a deadline, a stream
// polls its build on a timer, and stop() closes the listener and every
// connection, so that the threads run out of work and are joined.
#include "agent/web_internal.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace drydock::agent::web {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr int kThreads = 2;
constexpr int kMaxConnections = 64;
constexpr int kMaxRefusing = 16; // beyond both, a connection is closed unanswered
constexpr auto kPollInterval = std::chrono::milliseconds(200);
constexpr auto kHeartbeat = std::chrono::seconds(15); // finds a stream's client gone
constexpr std::uint64_t kBodyLimit = std::uint64_t{1024} * 1024;
constexpr std::size_t kReadChunk = std::size_t{256} * 1024;
constexpr std::uint64_t kMinimumRate = std::uint64_t{1024} * 1024; // bytes a second a file's client must take

void log_line(std::string_view what) { std::cerr << "drydock agent web: " << what << "\n"; }

bool is_loopback(const tcp::socket& socket)
{
  beast::error_code error;
  const auto address = socket.remote_endpoint(error).address();
  if (error) {
    return false;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

bool is_parse_error(const beast::error_code& error)
{
  return &error.category() == &http::make_error_code(http::error::bad_target).category();
}

class Server;

class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, Server& server, bool refuse);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start()
  {
    asio::dispatch(m_stream.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this()));
  }
  void close();

private:
  void read();
  void on_read(beast::error_code error, std::size_t);
  void answer(const Request& request);
  void send(Response response, bool keep_alive);
  void send_file(const SendFile& file, const Request& request);
  void on_sent(bool keep_alive, beast::error_code error, std::size_t);
  void send_stream(std::string bytes, bool last);
  void on_stream_sent(bool last, beast::error_code error, std::size_t);
  void wait_stream(Clock::duration delay);
  void poll_stream();
  std::string read_log(const Build& build);
  void shut();

  beast::tcp_stream m_stream;
  asio::steady_timer m_timer;
  Server& m_server;
  bool m_refuse;
  bool m_loopback;
  beast::flat_buffer m_buffer;
  std::optional<http::request_parser<http::string_body>> m_parser;
  Response m_response; // while it is written
  http::response<http::file_body> m_file_response;
  std::string m_out; // a stream's bytes while they are written
  std::int64_t m_stream_id = 0;
  std::uint64_t m_offset = 0; // how much of the log was sent
  bool m_more = false;        // the last read stopped short of the log's end
  LogEvents m_events;
  Clock::time_point m_last_sent; // for the heartbeat
};

class Server final : public WebServer {
public:
  Server(WebOptions options, Store& store, AgentControl& control, PushRoute push, Deadlines deadlines)
    : m_options(std::move(options)), m_push(std::move(push)), m_context{m_options, store, control, m_push},
      m_deadlines(deadlines)
  {
  }
  ~Server() override { stop(); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  tl::expected<void, std::string> listen();
  void run();
  std::uint16_t port() const override { return m_port; }
  void stop() override;

  const Context& context() const { return m_context; }
  const Deadlines& deadlines() const { return m_deadlines; }
  bool stopping() const { return m_stopping; }
  bool track(const std::shared_ptr<Session>& session);
  void untrack(const Session* session);
  std::atomic<int>& count(bool refuse) { return refuse ? m_refusing : m_connections; }

private:
  void accept();
  void on_accept(beast::error_code error, tcp::socket socket);
  void serve();

  WebOptions m_options;
  PushRoute m_push;
  Context m_context;
  Deadlines m_deadlines;
  std::mutex m_mutex; // m_sessions, m_stopping's change
  std::map<const Session*, std::weak_ptr<Session>> m_sessions;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
  std::atomic<int> m_refusing{0};
  std::uint16_t m_port = 0;
  // Last: destroyed first (handlers left in the context, then the threads).
  asio::io_context m_io{kThreads};
  tcp::acceptor m_acceptor{asio::make_strand(m_io)};
  std::vector<std::thread> m_threads;
};

Session::Session(tcp::socket socket, Server& server, bool refuse)
  : m_stream(std::move(socket)), m_timer(m_stream.get_executor()), m_server(server), m_refuse(refuse),
    m_loopback(is_loopback(m_stream.socket()))
{
  ++m_server.count(m_refuse);
}

Session::~Session()
{
  --m_server.count(m_refuse);
  m_server.untrack(this);
}

void Session::close()
{
  asio::post(m_stream.get_executor(), [self = shared_from_this()] {
    self->m_timer.cancel();
    self->m_stream.close();
  });
}

void Session::shut()
{
  beast::error_code ignored;
  m_timer.cancel();
  m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  m_stream.close();
}

void Session::read()
{
  if (m_server.stopping()) {
    return shut();
  }
  m_parser.emplace();
  m_parser->body_limit(kBodyLimit);
  m_stream.expires_after(m_server.deadlines().read);
  http::async_read(m_stream, m_buffer, *m_parser, beast::bind_front_handler(&Session::on_read, shared_from_this()));
}

void Session::on_read(beast::error_code error, std::size_t)
{
  if (error == http::error::body_limit) {
    return send(error_response(http::status::payload_too_large, "the body is over 1 MiB"), false);
  }
  if (error && is_parse_error(error) && error != http::error::end_of_stream) {
    return send(error_response(http::status::bad_request, "not an HTTP request: " + error.message()), false);
  }
  if (error) {
    return shut(); // gone, timed out, or closed by stop()
  }
  if (m_refuse) {
    return send(error_response(http::status::service_unavailable, "too many connections"), false);
  }
  answer(m_parser->get());
}

void Session::answer(const Request& request)
{
  auto reply = route(request, m_loopback, m_server.context());
  if (auto* stream = std::get_if<StreamLog>(&reply)) {
    m_stream_id = stream->id;
    return send_stream(stream_head(), false);
  }
  if (auto* file = std::get_if<SendFile>(&reply)) {
    return send_file(*file, request);
  }
  auto& response = std::get<Response>(reply);
  response.version(request.version());
  send(std::move(response), request.keep_alive());
}

void Session::send(Response response, bool keep_alive)
{
  m_response = std::move(response);
  m_response.keep_alive(keep_alive);
  m_stream.expires_after(m_server.deadlines().write);
  http::async_write(m_stream, m_response, beast::bind_front_handler(&Session::on_sent, shared_from_this(), keep_alive));
}

// Read from the file as it is written: a log of gigabytes costs no memory.
// The write's deadline grows with the file (a client taking 1 MiB/s keeps up).
void Session::send_file(const SendFile& file, const Request& request)
{
  http::file_body::value_type body;
  beast::error_code error;
  body.open(file.path.c_str(), beast::file_mode::scan, error);
  if (error) {
    auto empty = text_response(http::status::ok, "", file.content_type);
    empty.version(request.version());
    return send(std::move(empty), request.keep_alive());
  }
  const auto size = body.size();
  m_file_response = {http::status::ok, request.version()};
  set_common_headers(m_file_response, file.content_type);
  m_file_response.body() = std::move(body);
  m_file_response.prepare_payload();
  const bool keep_alive = request.keep_alive();
  m_file_response.keep_alive(keep_alive);
  m_stream.expires_after(m_server.deadlines().write + std::chrono::seconds(size / kMinimumRate));
  http::async_write(m_stream, m_file_response,
                    beast::bind_front_handler(&Session::on_sent, shared_from_this(), keep_alive));
}

void Session::on_sent(bool keep_alive, beast::error_code error, std::size_t)
{
  m_file_response = {}; // a file sent is closed now, not at the next one
  if (error || !keep_alive) {
    return shut();
  }
  read();
}

void Session::send_stream(std::string bytes, bool last)
{
  m_out = std::move(bytes);
  m_stream.expires_after(m_server.deadlines().write);
  asio::async_write(m_stream, asio::buffer(m_out),
                    beast::bind_front_handler(&Session::on_stream_sent, shared_from_this(), last));
}

void Session::on_stream_sent(bool last, beast::error_code error, std::size_t)
{
  if (error || last || m_server.stopping()) {
    return shut();
  }
  m_last_sent = Clock::now();
  wait_stream(m_more ? Clock::duration::zero() : Clock::duration(kPollInterval));
}

void Session::wait_stream(Clock::duration delay)
{
  m_stream.expires_never();
  m_timer.expires_after(delay);
  m_timer.async_wait([self = shared_from_this()](beast::error_code error) {
    if (error || self->m_server.stopping()) {
      return self->shut();
    }
    self->poll_stream();
  });
}

// The status first: a build final by now has its whole log written.
void Session::poll_stream()
{
  const auto build = m_server.context().store.get(m_stream_id);
  if (!build || !*build) {
    return shut();
  }
  const bool final = is_final((*build)->status);
  auto bytes = read_log(**build);
  const bool last = final && !m_more;
  auto out = m_events.feed(bytes, last);
  if (last) {
    out += status_event((*build)->status);
  } else if (out.empty() && Clock::now() - m_last_sent >= kHeartbeat) {
    out = ":\n\n";
  }
  if (out.empty()) {
    return wait_stream(kPollInterval);
  }
  send_stream(std::move(out), last);
}

std::string Session::read_log(const Build& build)
{
  std::string bytes;
  std::ifstream in(log_path_of(build), std::ios::binary);
  m_more = false;
  if (!in || !in.seekg(static_cast<std::streamoff>(m_offset))) {
    return bytes;
  }
  bytes.resize(kReadChunk);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  m_offset += bytes.size();
  m_more = bytes.size() == kReadChunk;
  return bytes;
}

tl::expected<void, std::string> Server::listen()
{
  beast::error_code error;
  tcp::resolver resolver(m_io);
  const auto endpoints = resolver.resolve(m_options.host, std::to_string(m_options.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, error);
  if (error || endpoints.empty()) {
    return tl::unexpected("cannot resolve " + m_options.host + ": " + error.message());
  }
  const auto endpoint = endpoints.begin()->endpoint();
  m_acceptor.open(endpoint.protocol(), error);
  if (!error) {
    m_acceptor.set_option(asio::socket_base::reuse_address(true), error);
  }
  if (!error) {
    m_acceptor.bind(endpoint, error);
  }
  if (!error) {
    m_acceptor.listen(asio::socket_base::max_listen_connections, error);
  }
  if (error) {
    return tl::unexpected("cannot listen on " + m_options.host + ":" + std::to_string(m_options.port) + ": "
                          + error.message());
  }
  m_port = m_acceptor.local_endpoint(error).port();
  return {};
}

void Server::run()
{
  accept();
  for (int i = 0; i < kThreads; ++i) {
    m_threads.emplace_back([this] { serve(); });
  }
}

// The one catch of a server thread: a handler that threw loses its
// connection, and the thread serves on.
void Server::serve()
{
  for (;;) {
    try {
      m_io.run();
      return;
    } catch (const std::exception& error) {
      log_line(error.what());
    }
  }
}

void Server::accept()
{
  m_acceptor.async_accept(asio::make_strand(m_io), beast::bind_front_handler(&Server::on_accept, this));
}

void Server::on_accept(beast::error_code error, tcp::socket socket)
{
  if (m_stopping || error == asio::error::operation_aborted) {
    return;
  }
  if (error) {
    log_line("accept: " + error.message()); // a full file table: this connection is lost
    return accept();
  }
  const bool refuse = m_connections >= kMaxConnections;
  if (!refuse || m_refusing < kMaxRefusing) {
    auto session = std::make_shared<Session>(std::move(socket), *this, refuse);
    if (track(session)) {
      session->start();
    }
  }
  accept();
}

bool Server::track(const std::shared_ptr<Session>& session)
{
  const std::lock_guard lock(m_mutex);
  if (m_stopping) {
    return false;
  }
  m_sessions.emplace(session.get(), session);
  return true;
}

void Server::untrack(const Session* session)
{
  const std::lock_guard lock(m_mutex);
  m_sessions.erase(session);
}

void Server::stop()
{
  std::vector<std::weak_ptr<Session>> sessions;
  {
    const std::lock_guard lock(m_mutex);
    m_stopping = true;
    for (const auto& [key, session] : m_sessions) {
      sessions.push_back(session);
    }
  }
  asio::post(m_acceptor.get_executor(), [this] {
    beast::error_code ignored;
    m_acceptor.close(ignored);
  });
  for (const auto& weak : sessions) {
    if (const auto session = weak.lock()) {
      session->close();
    }
  }
  for (auto& thread : m_threads) {
    if (thread.joinable()) {
      thread.join();
    }
  }
}

} // namespace

tl::expected<std::unique_ptr<WebServer>, std::string>
start_server(const WebOptions& options, Store& store, AgentControl& control, PushRoute push, Deadlines deadlines)
{
  try {
    auto server = std::make_unique<Server>(options, store, control, std::move(push), deadlines);
    if (auto listening = server->listen(); !listening) {
      return tl::unexpected(listening.error());
    }
    server->run();
    return server;
  } catch (const std::exception& error) {
    return tl::unexpected(std::string("cannot start the web server: ") + error.what());
  }
}

} // namespace drydock::agent::web
