// The HTTP client's URLs and proxies; its exchanges are proved by the
// commit-status tests (http) and tests/cli/orbs_cli_test.sh (http, https,
// through a proxy).
#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>

#include "net/http_client.hpp"

using drydock::net::parse_url;

TEST_CASE("http and https URLs: host, port (80 and 443 by default) and target", "[net]")
{
  const auto plain = parse_url("http://127.0.0.1:9000/repos/o/r/statuses/abc");
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == "9000");
  CHECK(plain->target == "/repos/o/r/statuses/abc");
  const auto secure = parse_url("https://circleci.com/graphql-unstable");
  REQUIRE(secure);
  CHECK(secure->tls);
  CHECK(secure->host == "circleci.com");
  CHECK(secure->port == "443");
  CHECK(secure->target == "/graphql-unstable");
  const auto bare = parse_url("http://example.invalid");
  REQUIRE(bare);
  CHECK(bare->port == "80");
  CHECK(bare->target == "/");
  const auto v6 = parse_url("https://[::1]:8443/x");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "8443");
}

TEST_CASE("what is not an http or https URL with a host is said", "[net]")
{
  CHECK(parse_url("ftp://example.invalid/x").error() == "ftp://example.invalid/x is not an http:// or https:// URL");
  CHECK(parse_url("https:///x").error() == "https:///x names no host or port");
  CHECK(parse_url("http://host:/x").error() == "http://host:/x names no host or port");
  // user:password@ would be sent to the host as its name: refused, never half-read.
  CHECK(parse_url("http://user:secret@host/x").error() == "http://user:secret@host/x names no host or port");
}

namespace {

// proxy_for's answer for `url` with `vars` as the environment: the proxy's host:port, "direct", or the error.
std::string route(const std::string& url, const std::map<std::string, std::string>& vars)
{
  const auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    const auto found = vars.find(name);
    return found == vars.end() ? std::nullopt : std::optional<std::string>(found->second);
  };
  const auto proxy = drydock::net::proxy_for(*parse_url(url), lookup);
  if (!proxy) {
    return proxy.error();
  }
  return *proxy ? (*proxy)->host + ":" + (*proxy)->port : "direct";
}

} // namespace

TEST_CASE("the proxy is read from the environment as curl reads it", "[net]")
{
  const std::string secure = "https://circleci.com/graphql-unstable";
  const std::string plain = "http://orbs.example.com/x";
  CHECK(route(secure, {}) == "direct");
  CHECK(route(secure, {{"https_proxy", "http://proxy:3128"}}) == "proxy:3128");
  CHECK(route(secure, {{"HTTPS_PROXY", "proxy:8080"}}) == "proxy:8080");
  CHECK(route(secure, {{"https_proxy", "proxy"}}) == "proxy:1080");
  CHECK(route(secure, {{"https_proxy", "http://[::1]"}}) == "::1:1080");
  CHECK(route(secure, {{"https_proxy", "http://[::1]:3128/"}}) == "::1:3128");
  CHECK(route(secure, {{"all_proxy", "http://all:1"}}) == "all:1");
  CHECK(route(secure, {{"https_proxy", ""}, {"ALL_PROXY", "http://all:1"}}) == "all:1");
  CHECK(route(secure, {{"http_proxy", "http://plain:1"}}) == "direct"); // http's, not https'
  CHECK(route(plain, {{"http_proxy", "http://plain:1"}}) == "plain:1");
  CHECK(route(plain, {{"HTTP_PROXY", "http://plain:1"}}) == "direct"); // httpoxy: a CGI's request header
  CHECK(route(plain, {{"https_proxy", "http://secure:1"}}) == "direct");
}

TEST_CASE("no_proxy names hosts and domains that go direct", "[net]")
{
  const std::map<std::string, std::string> proxied = {{"https_proxy", "http://proxy:3128"}};
  const auto with = [&](const char* no_proxy) {
    auto vars = proxied;
    vars["no_proxy"] = no_proxy;
    return route("https://api.circleci.com/x", vars);
  };
  CHECK(with("api.circleci.com") == "direct");
  CHECK(with("circleci.com") == "direct");
  CHECK(with(".circleci.com") == "direct");
  CHECK(with("localhost, CircleCI.com ") == "direct");
  CHECK(with("*") == "direct");
  CHECK(with("ci.com") == "proxy:3128"); // a domain matches at a dot, not inside a name
  CHECK(with("api.circleci.com.evil") == "proxy:3128");
  CHECK(with("") == "proxy:3128");
  CHECK(with(",,") == "proxy:3128");
}

TEST_CASE("a proxy drydock cannot use is said, without its password", "[net]")
{
  const std::string secure = "https://circleci.com/x";
  CHECK(route(secure, {{"https_proxy", "http://me:secret@proxy:3128"}})
        == "https_proxy: a proxy with a user and password is not supported");
  CHECK(route(secure, {{"HTTPS_PROXY", "https://proxy:3128"}})
        == "HTTPS_PROXY: https://proxy:3128 is not an http:// proxy (the only kind drydock uses)");
  CHECK(route(secure, {{"https_proxy", "socks5h://proxy:1080"}})
        == "https_proxy: socks5h://proxy:1080 is not an http:// proxy (the only kind drydock uses)");
  CHECK(route(secure, {{"https_proxy", "http://:3128"}}) == "https_proxy: http://:3128 names no host or port");
}
