// The HTTP client's URLs; its exchanges are proved by the commit-status
// tests (http) and tests/cli/orbs_cli_test.sh (http and https).
#include <catch2/catch.hpp>

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
