#include <catch2/catch.hpp>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/clock.hpp"
#include "agent/fake_store.hpp"
#include "agent/http_client.hpp"
#include "agent/web_internal.hpp"
#include "util/file.hpp"

using namespace drydock::agent;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace t = drydock::agent::test;

namespace {

struct TempDir {
  fs::path path;
  TempDir()
  {
    std::string templ = (fs::path(drydock::util::temp_dir()) / "drydock-web-test.XXXXXX").string();
    path = ::mkdtemp(templ.data());
  }
  ~TempDir()
  {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

void write_file(const fs::path& path, const std::string& text, bool append = false)
{
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << text;
}

class FakeControl : public AgentControl {
public:
  Result<Build> push(const PushEvent&) override { return tl::unexpected(std::string("not in these tests")); }

  Result<Build> rebuild(std::int64_t id) override
  {
    const std::lock_guard lock(m_mutex);
    m_calls.push_back("rebuild " + std::to_string(id));
    Build build;
    build.id = 100 + id;
    build.repo = "app";
    build.number = 9;
    build.reason = "rebuild of #" + std::to_string(id);
    return build;
  }

  Result<bool> cancel(std::int64_t id) override
  {
    const std::lock_guard lock(m_mutex);
    m_calls.push_back("cancel " + std::to_string(id));
    if (id == 13) {
      return tl::unexpected(std::string("the store is locked"));
    }
    return id == 1;
  }

  std::vector<std::string> calls()
  {
    const std::lock_guard lock(m_mutex);
    return m_calls;
  }

private:
  std::mutex m_mutex;
  std::vector<std::string> m_calls;
};

Build sample(std::string repo, std::string ref, BuildStatus status)
{
  Build build;
  build.repo = std::move(repo);
  build.ref = std::move(ref);
  build.sha = std::string(40, 'a');
  build.status = status;
  build.number = 1;
  return build;
}

// A server on 127.0.0.1, an ephemeral port, over the fake store and control.
struct Served {
  TempDir dir;
  t::FakeStore store;
  FakeControl control;
  web::PushRoute push = [](const web::Request&, const WebOptions&, AgentControl&) {
    return web::error_response(boost::beast::http::status::not_implemented, "the test's push route");
  };
  std::unique_ptr<WebServer> server;

  explicit Served(WebOptions options = {}, web::Deadlines deadlines = {})
  {
    options.port = 0;
    auto started = web::start_server(options, store, control, push, deadlines);
    REQUIRE(started);
    server = std::move(*started);
  }

  std::uint16_t port() const { return server->port(); }
};

std::vector<std::int64_t> ids_of(const t::HttpResponse& response)
{
  std::vector<std::int64_t> ids;
  const auto json = nlohmann::json::parse(response.body());
  for (const auto& build : json.at("builds")) {
    ids.push_back(build.at("id").get<std::int64_t>());
  }
  return ids;
}

using Ids = std::vector<std::int64_t>;

} // namespace

TEST_CASE("web: a build's JSON", "[agent]")
{
  auto build = sample("app", "refs/heads/main", BuildStatus::failed);
  build.id = 7;
  build.number = 3;
  build.author = "Ann";
  build.title = "Fix \"it\"";
  build.reason = "push";
  build.agent = "ci/12:34";
  build.queued_at = 1767225600000;
  build.started_at = 1767225601000;
  build.finished_at = 1767225661234;
  build.exit_code = 1;
  build.dir = "/var/lib/drydock/builds/7";
  CHECK(build_json(build)
        == R"({"id":7,"number":3,"repo":"app","ref":"refs/heads/main","branch":"main","tag":null,)"
           R"("sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","author":"Ann","title":"Fix \"it\"","reason":"push",)"
           R"("status":"failed","agent":"ci/12:34","queued_at":"2026-01-01T00:00:00.000Z",)"
           R"("started_at":"2026-01-01T00:00:01.000Z","finished_at":"2026-01-01T00:01:01.234Z",)"
           R"("duration_ms":60234,"exit_code":1,"message":"","cancel_requested":false,"url":"/builds/7",)"
           R"("log_url":"/api/builds/7/log","report_url":"/builds/7/report"})");
  CHECK(log_path_of(build) == "/var/lib/drydock/builds/7/log");
  CHECK(report_path_of(build) == "/var/lib/drydock/builds/7/record/report.html");

  auto queued = sample("app", "refs/tags/v1", BuildStatus::queued);
  const auto json = nlohmann::json::parse(build_json(queued));
  CHECK(json.at("branch").is_null());
  CHECK(json.at("tag") == "v1");
  CHECK(json.at("started_at").is_null());
  CHECK(json.at("duration_ms").is_null());
  CHECK(json.at("exit_code").is_null());
  CHECK(log_path_of(queued).empty());
  CHECK(report_path_of(queued).empty());

  // git allows any bytes in a ref: the JSON still comes, with U+FFFD.
  auto latin1 = sample("app", "refs/heads/caf\xe9", BuildStatus::queued);
  CHECK(nlohmann::json::parse(build_json(latin1)).at("branch") == "caf\xef\xbf\xbd");
}

TEST_CASE("web: log lines as Server-Sent Events, whatever ends them", "[agent]")
{
  web::LogEvents events;
  CHECK(events.feed("one\ntwo\r\nthr", false) == "event: log\ndata: one\ndata: two\n\n");
  CHECK(events.feed("ee\r", false) == "event: log\ndata: three\n\n");
  // The CR's LF, in the next read, ends nothing more; a lone CR ends a line.
  CHECK(events.feed("\nfour\rfive", false) == "event: log\ndata: four\n\n");
  CHECK(events.feed("", false).empty());
  CHECK(events.feed(" six", true) == "event: log\ndata: five six\n\n");
  CHECK(events.feed("", true).empty());

  const auto long_line = events.feed(std::string(40 * 1024, 'x'), true);
  CHECK(std::count(long_line.begin(), long_line.end(), '\n') == 3 + 1 + 1); // three pieces, the event line, the end
  CHECK(long_line.find('\r') == std::string::npos);
  CHECK(web::status_event(BuildStatus::success) == "event: status\ndata: {\"status\":\"success\"}\n\n");
}

TEST_CASE("web: the builds list and its filters", "[agent]")
{
  Served served;
  served.store.add(sample("app", "refs/heads/main", BuildStatus::success));
  served.store.add(sample("lib", "refs/heads/main", BuildStatus::failed));
  served.store.add(sample("app", "refs/tags/v1", BuildStatus::running));

  const auto all = t::get(served.port(), "/api/builds");
  REQUIRE(all);
  CHECK(all->result_int() == 200);
  CHECK((*all)[t::http::field::content_type] == "application/json");
  CHECK((*all)[t::http::field::cache_control] == "no-store");
  CHECK((*all)["X-Content-Type-Options"] == "nosniff");
  CHECK(ids_of(*all) == Ids{3, 2, 1});
  CHECK(ids_of(*t::get(served.port(), "/api/builds?repo=app")) == Ids{3, 1});
  CHECK(ids_of(*t::get(served.port(), "/api/builds?status=failed")) == Ids{2});
  CHECK(ids_of(*t::get(served.port(), "/api/builds?repo=app&branch=main")) == Ids{1});
  CHECK(ids_of(*t::get(served.port(), "/api/builds?limit=1&before=3")) == Ids{2});
  // A form's blank fields filter nothing; values are percent-decoded.
  CHECK(ids_of(*t::get(served.port(), "/api/builds?repo=&branch=&status=")) == Ids{3, 2, 1});
  CHECK(ids_of(*t::get(served.port(), "/api/builds?repo=%61pp&status=running")) == Ids{3});
  CHECK(served.store.last_filter().limit == 50);
}

TEST_CASE("web: a bad query is a 400 saying why", "[agent]")
{
  Served served;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"status=done", R"({"error":"unknown status: done"})"},
      {"limit=0", R"({"error":"limit must be a number from 1 to 500"})"},
      {"limit=501", R"({"error":"limit must be a number from 1 to 500"})"},
      {"limit=ten", R"({"error":"limit must be a number from 1 to 500"})"},
      {"before=-3", R"({"error":"before must be a build id"})"},
      {"colour=red", R"({"error":"unknown parameter: colour"})"},
      {"repo=%zz", R"({"error":"bad percent-encoding in the query"})"},
  };
  for (const auto& [query, error] : cases) {
    INFO(query);
    const auto response = t::get(served.port(), "/api/builds?" + query);
    REQUIRE(response);
    CHECK(response->result_int() == 400);
    CHECK(response->body() == error);
  }
}

// Sent from the file as it is read, not from a copy in memory.
TEST_CASE("web: a huge unbroken log is sent whole", "[agent]")
{
  Served served;
  auto build = sample("app", "refs/heads/main", BuildStatus::failed);
  build.dir = (served.dir.path / "1").string();
  served.store.add(build);
  std::string huge(std::size_t{6} * 1024 * 1024, 'x');
  huge.back() = 'y';
  write_file(served.dir.path / "1" / "log", huge);

  const auto log = t::get(served.port(), "/api/builds/1/log");
  REQUIRE(log);
  CHECK(log->result_int() == 200);
  CHECK((*log)[t::http::field::content_type] == "text/plain; charset=utf-8");
  CHECK((*log)[t::http::field::content_length] == std::to_string(huge.size()));
  CHECK((*log)["X-Content-Type-Options"] == "nosniff");
  CHECK(log->body() == huge);
}

TEST_CASE("web: one build, its log, unknown paths and methods", "[agent]")
{
  Served served;
  auto build = sample("app", "refs/heads/main", BuildStatus::running);
  build.dir = (served.dir.path / "1").string();
  served.store.add(build);
  served.store.add(sample("app", "refs/heads/main", BuildStatus::queued));
  write_file(served.dir.path / "1" / "log", "line one\nline two\n");

  const auto one = t::get(served.port(), "/api/builds/1");
  REQUIRE(one);
  CHECK(one->result_int() == 200);
  CHECK(nlohmann::json::parse(one->body()).at("status") == "running");
  CHECK(nlohmann::json::parse(one->body()).at("has_report") == false);
  const auto missing = t::get(served.port(), "/api/builds/99");
  CHECK(missing->result_int() == 404);
  CHECK(missing->body() == R"({"error":"no build 99"})");
  CHECK(t::get(served.port(), "/api/builds/abc")->result_int() == 404);
  CHECK(t::get(served.port(), "/api/builds/0")->result_int() == 404);
  CHECK(t::get(served.port(), "/nothing")->result_int() == 404);

  const auto log = t::get(served.port(), "/api/builds/1/log");
  CHECK(log->result_int() == 200);
  CHECK((*log)[t::http::field::content_type] == "text/plain; charset=utf-8");
  CHECK(log->body() == "line one\nline two\n");
  const auto no_log = t::get(served.port(), "/api/builds/2/log");
  CHECK(no_log->result_int() == 200);
  CHECK(no_log->body().empty());

  const auto wrong = t::request(served.port(), t::http::verb::post, "/api/builds/1");
  CHECK(wrong->result_int() == 405);
  CHECK((*wrong)[t::http::field::allow] == "GET");
  CHECK(t::get(served.port(), "/api/builds/1/cancel")->result_int() == 405);
  // The push route is the one injected (the webhook's own is tested apart).
  CHECK(t::request(served.port(), t::http::verb::post, "/api/hooks/push")->result_int() == 501);
}

TEST_CASE("web: writes need the bearer token", "[agent]")
{
  WebOptions options;
  options.token = "s3cret";
  Served served(options);
  const auto post = [&](const std::string& target, const t::Headers& headers) {
    const auto response = t::request(served.port(), t::http::verb::post, target, headers);
    REQUIRE(response);
    return *response;
  };
  const auto bearer = [](const std::string& token) { return t::Headers{{"Authorization", "Bearer " + token}}; };
  CHECK(post("/api/builds/1/cancel", {}).result_int() == 401);
  CHECK(post("/api/builds/1/cancel", bearer("s3creT")).result_int() == 401);
  CHECK(post("/api/builds/1/cancel", bearer("s3cret-and-more")).result_int() == 401);
  CHECK(post("/api/builds/1/rebuild", {{"Authorization", "s3cret"}}).result_int() == 401);
  CHECK(served.control.calls().empty());

  const auto canceled = post("/api/builds/1/cancel", bearer("s3cret"));
  CHECK(canceled.result_int() == 200);
  CHECK(canceled.body() == R"({"id":1,"canceled":true})");
  const auto over = post("/api/builds/2/cancel", bearer("s3cret"));
  CHECK(over.result_int() == 409);
  CHECK(over.body() == R"({"error":"build 2 is over or unknown"})");
  CHECK(post("/api/builds/13/cancel", bearer("s3cret")).body() == R"({"error":"the store is locked"})");
  const auto rebuilt = post("/api/builds/5/rebuild", bearer("s3cret"));
  CHECK(rebuilt.result_int() == 201);
  CHECK(nlohmann::json::parse(rebuilt.body()).at("url") == "/builds/105");
  CHECK(served.control.calls() == std::vector<std::string>{"cancel 1", "cancel 2", "cancel 13", "rebuild 5"});
}

TEST_CASE("web: without a token configured, writes are refused", "[agent]")
{
  Served served;
  const auto response = t::request(served.port(), t::http::verb::post, "/api/builds/1/cancel",
                                   {{"Authorization", "Bearer "}});
  REQUIRE(response);
  CHECK(response->result_int() == 403);
  CHECK(served.control.calls().empty());
}

TEST_CASE("web: reads need the token when not open to loopback", "[agent]")
{
  WebOptions options;
  options.token = "s3cret";
  options.open_reads_on_loopback = false;
  Served served(options);
  CHECK(t::get(served.port(), "/api/builds")->result_int() == 401);
  CHECK(t::get(served.port(), "/api/builds", {{"Authorization", "Bearer s3cret"}})->result_int() == 200);
  CHECK(t::get(served.port(), "/")->result_int() == 200); // the page has no data; its script asks with the token
}

// What cannot send a header (an EventSource, a report's frame) reads with
// the session's cookie; the cookie is not the token, grants no write, and
// expires.
TEST_CASE("web: a read session from the token lets a browser read, not write", "[agent]")
{
  WebOptions options;
  options.token = "s3cret";
  options.open_reads_on_loopback = false;
  Served served(options);
  auto build = sample("app", "refs/heads/main", BuildStatus::success);
  build.dir = (served.dir.path / "1").string();
  served.store.add(build);
  write_file(served.dir.path / "1" / "record" / "report.html", "<!doctype html><p>report</p>");

  CHECK(t::request(served.port(), t::http::verb::post, "/api/session")->result_int() == 401);
  CHECK(
      t::request(served.port(), t::http::verb::post, "/api/session", {{"Authorization", "Bearer wrong"}})->result_int()
      == 401);
  // The server's clock, not time(): time() reads the coarse clock, which can
  // still show the previous second.
  const auto before = system_unix_ms() / 1000;
  const auto opened = t::request(served.port(), t::http::verb::post, "/api/session",
                                 {{"Authorization", "Bearer s3cret"}});
  REQUIRE(opened);
  CHECK(opened->result_int() == 204);
  const std::string cookie((*opened)[t::http::field::set_cookie]);
  const auto name = web::read_session_name("s3cret");
  CHECK(name.size() == std::string("drydock_read_").size() + 12);
  CHECK(name != web::read_session_name("other")); // two agents on one host keep theirs apart
  REQUIRE(cookie.starts_with(name + "="));
  CHECK(cookie.ends_with("; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict"));
  CHECK(cookie.find("s3cret") == std::string::npos);
  const auto pair = cookie.substr(0, cookie.find(';'));
  const auto expires = std::stoll(pair.substr(name.size() + 1));
  CHECK(expires >= before + 43200);
  CHECK(expires <= system_unix_ms() / 1000 + 43200);
  CHECK(pair == name + "=" + web::read_session_value("s3cret", expires));

  const t::Headers with_cookie{{"Cookie", "theme=dark; " + pair}};
  CHECK(t::get(served.port(), "/builds/1/report", with_cookie)->result_int() == 200);
  CHECK(t::get(served.port(), "/api/builds/1/log", with_cookie)->result_int() == 200);
  CHECK(t::get(served.port(), "/api/builds", {{"Cookie", pair}})->result_int() == 200);
  CHECK(t::get(served.port(), "/builds/1/report")->result_int() == 401);
  const auto refused = [&](const std::string& value) {
    INFO(value);
    return t::get(served.port(), "/api/builds", {{"Cookie", value}})->result_int() == 401;
  };
  CHECK(refused(pair + "0"));
  CHECK(refused("x" + pair));
  CHECK(refused(name + "="));
  CHECK(refused(name + "=" + std::to_string(expires)));
  CHECK(refused(name + "=" + std::to_string(expires + 1) + pair.substr(pair.find('.'))));      // its expiry moved
  CHECK(refused(name + "=" + web::read_session_value("s3cret", system_unix_ms() / 1000 - 1))); // expired
  CHECK(refused(name + "=" + web::read_session_value("other", expires)));
  CHECK(refused(web::read_session_name("other") + "=" + web::read_session_value("s3cret", expires)));
  const auto write = t::request(served.port(), t::http::verb::post, "/api/builds/1/rebuild", with_cookie);
  CHECK(write->result_int() == 401);
  CHECK(t::request(served.port(), t::http::verb::post, "/api/session", with_cookie)->result_int() == 401);
  CHECK(served.control.calls().empty());
}

TEST_CASE("web: the report with its own policy", "[agent]")
{
  Served served;
  auto build = sample("app", "refs/heads/main", BuildStatus::success);
  build.dir = (served.dir.path / "1").string();
  served.store.add(build);
  served.store.add(sample("app", "refs/heads/main", BuildStatus::success));
  write_file(served.dir.path / "1" / "record" / "report.html", "<!doctype html><script>draw()</script>");

  const auto report = t::get(served.port(), "/builds/1/report");
  REQUIRE(report);
  CHECK(report->result_int() == 200);
  CHECK(report->body() == "<!doctype html><script>draw()</script>");
  CHECK((*report)[t::http::field::content_type] == "text/html; charset=utf-8");
  const std::string policy((*report)["Content-Security-Policy"]);
  CHECK(policy.find("script-src 'unsafe-inline'") != std::string::npos);
  CHECK(policy.find("connect-src 'none'") != std::string::npos);
  CHECK(policy.find("frame-ancestors 'self'") != std::string::npos);
  CHECK(nlohmann::json::parse(t::get(served.port(), "/api/builds/1")->body()).at("has_report") == true);
  CHECK(t::get(served.port(), "/builds/2/report")->result_int() == 404);
  CHECK(t::get(served.port(), "/builds/3/report")->result_int() == 404);
}

TEST_CASE("web: the UI's pages and script", "[agent]")
{
  Served served;
  const auto list = t::get(served.port(), "/");
  REQUIRE(list);
  CHECK(list->result_int() == 200);
  CHECK((*list)[t::http::field::content_type] == "text/html; charset=utf-8");
  CHECK((*list)["Content-Security-Policy"].starts_with("default-src 'self'; frame-src 'self'"));
  CHECK(list->body().find("<table id=\"builds\">") != std::string::npos);
  CHECK(list->body().find("<form id=\"filter\"") != std::string::npos);
  const auto page = t::get(served.port(), "/builds/12");
  REQUIRE(page);
  for (const auto* id : {"id=\"log\"", "id=\"report\"", "id=\"status\"", "id=\"cancel\"", "id=\"rebuild\""}) {
    CHECK(page->body().find(id) != std::string::npos);
  }
  // No inline script: every script element is the one file.
  for (const auto& body : {list->body(), page->body()}) {
    CHECK(body.find("<script") == body.find("<script src=\"/ui.js\""));
    CHECK(body.find("<script", body.find("<script") + 1) == std::string::npos);
  }
  const auto script = t::get(served.port(), "/ui.js");
  CHECK((*script)[t::http::field::content_type] == "text/javascript; charset=utf-8");
  CHECK(script->body().find("EventSource") != std::string::npos);
  CHECK(script->body().find("innerHTML") == std::string::npos);
  CHECK(t::get(served.port(), "/ui.css")->result_int() == 200);
}

TEST_CASE("web: a build's log streams as it grows, then its status", "[agent]")
{
  Served served;
  auto build = sample("app", "refs/heads/main", BuildStatus::running);
  build.dir = (served.dir.path / "1").string();
  served.store.add(build);
  const auto log = served.dir.path / "1" / "log";
  write_file(log, "one\n");

  t::RawConnection stream(served.port());
  REQUIRE(stream.send("GET /api/builds/1/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(stream.read_until("data: one\n\n"));
  CHECK(stream.received().starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(stream.received().find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(stream.received().find("Cache-Control: no-cache\r\n") != std::string::npos);

  write_file(log, "two\r\nthr", true);
  REQUIRE(stream.read_until("data: two\n\n"));
  CHECK(stream.received().find("thr") == std::string::npos); // not a whole line yet
  write_file(log, "ee", true);
  served.store.update(1, [](Build& b) { b.status = BuildStatus::failed; });
  REQUIRE(stream.read_to_end());
  const auto& text = stream.received();
  const auto body = text.substr(text.find("\r\n\r\n") + 4);
  CHECK(body
        == "event: log\ndata: one\n\nevent: log\ndata: two\n\nevent: log\ndata: three\n\n"
           "event: status\ndata: {\"status\":\"failed\"}\n\n");
}

TEST_CASE("web: stop() ends an open stream at once", "[agent]")
{
  Served served;
  served.store.add(sample("app", "refs/heads/main", BuildStatus::running));
  t::RawConnection stream(served.port());
  REQUIRE(stream.send("GET /api/builds/1/stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(stream.read_until("\r\n\r\n"));
  t::RawConnection idle(served.port()); // a connection that never sends its request
  REQUIRE(idle.connected());
  const auto start = std::chrono::steady_clock::now();
  served.server->stop();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(stream.read_to_end(2s));
  CHECK(idle.read_to_end(2s));
  CHECK_FALSE(t::get(served.port(), "/"));
}

TEST_CASE("web: at most 64 connections, then 503", "[agent]")
{
  Served served;
  std::vector<std::unique_ptr<t::RawConnection>> held;
  for (int i = 0; i < 64; ++i) {
    held.push_back(std::make_unique<t::RawConnection>(served.port()));
    REQUIRE(held.back()->connected());
  }
  const auto refused = t::get(served.port(), "/api/builds");
  REQUIRE(refused);
  CHECK(refused->result_int() == 503);
  CHECK(refused->body() == R"({"error":"too many connections"})");
  held.clear();
  // The server sees them close soon after.
  std::optional<t::HttpResponse> served_again;
  for (int i = 0; i < 50 && (!served_again || served_again->result_int() != 200); ++i) {
    std::this_thread::sleep_for(20ms);
    served_again = t::get(served.port(), "/api/builds");
  }
  REQUIRE(served_again);
  CHECK(served_again->result_int() == 200);
}

TEST_CASE("web: a body over 1 MiB is refused", "[agent]")
{
  WebOptions options;
  options.token = "s3cret";
  Served served(options);
  t::RawConnection connection(served.port());
  REQUIRE(connection.send("POST /api/builds/1/cancel HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"));
  REQUIRE(connection.read_until("\r\n\r\n"));
  CHECK(connection.received().starts_with("HTTP/1.1 413 "));
  CHECK(served.control.calls().empty());
}

TEST_CASE("web: a port in use is an error, not an exception", "[agent]")
{
  Served served;
  t::FakeStore store;
  FakeControl control;
  WebOptions options;
  options.port = served.port();
  const auto second = web::start_server(options, store, control, served.push);
  REQUIRE_FALSE(second);
  CHECK(second.error().find("cannot listen on 127.0.0.1:") == 0);
}

TEST_CASE("web: a client slow to send its request is let go", "[agent]")
{
  web::Deadlines deadlines;
  deadlines.read = 300ms;
  Served served({}, deadlines);
  t::RawConnection silent(served.port());
  t::RawConnection slow(served.port());
  REQUIRE(slow.send("GET /api/builds HTTP/1.1\r\nHo"));
  const auto start = std::chrono::steady_clock::now();
  CHECK(silent.read_to_end(3s));
  CHECK(slow.read_to_end(3s));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(slow.received().empty());
  // A keep-alive connection is let go as long after its last answer.
  t::RawConnection idle(served.port());
  REQUIRE(idle.send("GET /ui.css HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(idle.read_until("}\n"));
  CHECK(idle.read_to_end(3s));
  CHECK(idle.received().starts_with("HTTP/1.1 200 OK"));
}

TEST_CASE("web: an unsigned webhook is taken from loopback peers only", "[agent]")
{
  test::FakeStore store;
  FakeControl control;
  int pushes = 0;
  const web::PushRoute push = [&](const web::Request&, const WebOptions&, AgentControl&) {
    ++pushes;
    return web::error_response(boost::beast::http::status::created, "queued");
  };
  web::Request request{boost::beast::http::verb::post, "/api/hooks/push", 11};
  request.body() = "{}";
  WebOptions unsigned_hooks;
  const web::Context context{unsigned_hooks, store, control, push};
  const auto from_elsewhere = std::get<web::Response>(web::route(request, false, context));
  CHECK(from_elsewhere.result() == boost::beast::http::status::forbidden);
  CHECK(from_elsewhere.body()
        == R"({"error":"unsigned webhooks are taken from this machine only: give the agent --hook-secret-file"})");
  CHECK(pushes == 0);
  CHECK(std::get<web::Response>(web::route(request, true, context)).result() == boost::beast::http::status::created);
  WebOptions signed_hooks;
  signed_hooks.hook_secret = "s3cret"; // the route itself checks the signature
  const web::Context signed_context{signed_hooks, store, control, push};
  CHECK(std::get<web::Response>(web::route(request, false, signed_context)).result()
        == boost::beast::http::status::created);
  CHECK(pushes == 2);
}
