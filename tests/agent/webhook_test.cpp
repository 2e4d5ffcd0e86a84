#include <catch2/catch.hpp>

#include <string>

#include "agent/webhook.hpp"

using namespace drydock::agent;

namespace {

// A GitHub push event, trimmed of the fields the agent does not read but
// keeping some of them so that extra fields are shown to be ignored.
const std::string kGithubPush = R"({
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "0D1A26E67D8F5EAF1F6BA5C57FC3C7D91AC0FD1C",
  "created": false,
  "deleted": false,
  "forced": false,
  "compare": "https://github.com/octo-org/hello-world/compare/6113728f27ae...0d1a26e67d8f",
  "repository": {
    "id": 35129377,
    "name": "hello-world",
    "full_name": "octo-org/hello-world",
    "private": false,
    "owner": {"name": "octo-org", "login": "octo-org"},
    "html_url": "https://github.com/octo-org/hello-world",
    "clone_url": "https://github.com/octo-org/hello-world.git",
    "ssh_url": "git@github.com:octo-org/hello-world.git",
    "default_branch": "main"
  },
  "pusher": {"name": "octocat", "email": "octocat@github.com"},
  "head_commit": {
    "id": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
    "message": "Fix the flaky login test\r\n\nIt waited on the wrong element.",
    "timestamp": "2026-11-30T12:00:00Z",
    "author": {"name": "Mona Lisa", "email": "mona@github.com", "username": "mona"},
    "committer": {"name": "GitHub", "email": "noreply@github.com"},
    "added": [], "removed": [], "modified": ["login_test.py"]
  },
  "commits": []
})";

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

std::string plain(const std::string& repo, const std::string& ref, const std::string& sha = kSha)
{
  return R"({"repo": ")" + repo + R"(", "ref": ")" + ref + R"(", "sha": ")" + sha + R"("})";
}

PushEvent parsed(const std::string& body)
{
  auto event = parse_push(body);
  INFO((event ? std::string() : event.error()));
  REQUIRE(event);
  return *event;
}

std::string error_of(const std::string& body)
{
  auto event = parse_push(body);
  REQUIRE_FALSE(event);
  return event.error();
}

} // namespace

TEST_CASE("a GitHub push event is read", "[agent][webhook]")
{
  const auto event = parsed(kGithubPush);
  CHECK(event.name == "hello-world");
  CHECK(event.full_name == "octo-org/hello-world");
  CHECK(event.url == "https://github.com/octo-org/hello-world.git");
  CHECK(event.ref == "refs/heads/main");
  CHECK(event.sha == "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c");
  CHECK(event.author == "Mona Lisa");
  CHECK(event.title == "Fix the flaky login test");
  CHECK_FALSE(event.deleted);
}

TEST_CASE("a GitHub push without a clone URL uses the page's", "[agent][webhook]")
{
  const auto event = parsed(R"({"ref": "refs/tags/v1.2", "after": ")" + kSha
                            + R"(", "repository": {"name": "app", "html_url": "https://git.example.com/org/app"},
                               "head_commit": {"message": "Release"}})");
  CHECK(event.url == "https://git.example.com/org/app");
  CHECK(event.full_name.empty());
  CHECK(event.ref == "refs/tags/v1.2");
  CHECK(event.title == "Release");
  CHECK(event.author.empty());
}

TEST_CASE("a deleted branch is an event, not an error", "[agent][webhook]")
{
  const auto event = parsed(R"({"ref": "refs/heads/old", "before": ")" + kSha
                            + R"(", "after": "0000000000000000000000000000000000000000", "deleted": true,
                               "repository": {"name": "app", "full_name": "org/app"}, "head_commit": null})");
  CHECK(event.deleted);
  CHECK(event.sha == std::string(40, '0'));
  CHECK(event.ref == "refs/heads/old");
  CHECK(event.title.empty());
  CHECK(event.author.empty());
}

TEST_CASE("a plain push body is read", "[agent][webhook]")
{
  SECTION("a name and a branch")
  {
    const auto event = parsed(plain("app", "main", "0123456789ABCDEF0123456789abcdef01234567"));
    CHECK(event.name == "app");
    CHECK(event.url.empty());
    CHECK(event.full_name.empty());
    CHECK(event.ref == "refs/heads/main");
    CHECK(event.sha == kSha);
    CHECK_FALSE(event.deleted);
  }
  SECTION("a URL, a path and full refs")
  {
    const auto url = parsed(plain("https://example.com/org/app.git", "refs/tags/v2"));
    CHECK(url.name == "https://example.com/org/app.git");
    CHECK(url.url == "https://example.com/org/app.git");
    CHECK(url.ref == "refs/tags/v2");
    CHECK(parsed(plain("/srv/git/app", "refs/heads/feature/x")).url == "/srv/git/app");
    CHECK(parsed(plain("git@example.com:org/app.git", "dev")).url == "git@example.com:org/app.git");
    CHECK(parsed(plain("app", "feature/x")).ref == "refs/heads/feature/x");
  }
}

TEST_CASE("a body that is not a push is refused with a reason", "[agent][webhook]")
{
  CHECK(error_of("") == "the body is not JSON");
  CHECK(error_of("{\"repo\": ") == "the body is not JSON");
  CHECK(error_of("[1, 2]") == "the body is not a JSON object");
  CHECK(error_of("{}") == "the push has no \"repository\" (GitHub) or \"repo\"");
  CHECK(error_of(std::string(100000, '[')) == "the body is nested too deeply");
}

TEST_CASE("a push with a field missing or of the wrong type is refused", "[agent][webhook]")
{
  CHECK(error_of(R"({"repo": "app", "sha": ")" + kSha + R"("})") == "the push has no \"ref\"");
  CHECK(error_of(R"({"repo": "app", "ref": "main"})") == "the push has no \"sha\"");
  CHECK(error_of(R"({"repo": 7, "ref": "main", "sha": ")" + kSha + R"("})") == "\"repo\" is not a string");
  CHECK(error_of(plain("", "main")) == "\"repo\" is empty");
  CHECK(error_of(R"({"repo": "app", "ref": ["main"], "sha": ")" + kSha + R"("})") == "\"ref\" is not a string");
  CHECK(error_of(R"({"repository": "app", "ref": "refs/heads/main", "after": ")" + kSha + R"("})")
        == "\"repository\" is not an object");
  CHECK(error_of(R"({"repository": {}, "ref": "refs/heads/main", "after": ")" + kSha + R"("})")
        == "the push has no \"repository.name\"");
  CHECK(error_of(R"({"repository": {"name": "app", "clone_url": 1}, "ref": "refs/heads/main", "after": ")" + kSha
                 + R"("})")
        == "\"repository.clone_url\" is not a string");
  CHECK(error_of(R"({"repository": {"name": "app"}, "ref": "refs/heads/main"})") == "the push has no \"after\"");
  CHECK(error_of(R"({"repository": {"name": "app"}, "ref": "refs/heads/main", "after": ")" + kSha
                 + R"(", "deleted": "no"})")
        == "\"deleted\" is not true or false");
  CHECK(error_of(R"({"repository": {"name": "app"}, "ref": "refs/heads/main", "after": ")" + kSha
                 + R"(", "head_commit": "abc"})")
        == "\"head_commit\" is not an object");
  CHECK(error_of(R"({"repository": {"name": "app"}, "ref": "refs/heads/main", "after": ")" + kSha
                 + R"(", "head_commit": {"message": 5}})")
        == "\"head_commit.message\" is not a string");
  CHECK(error_of(R"({"repository": {"name": "app"}, "ref": "refs/heads/main", "after": ")" + kSha
                 + R"(", "head_commit": {"author": "Mona"}})")
        == "\"head_commit.author\" is not an object");
}

TEST_CASE("a push of a bad sha or ref is refused", "[agent][webhook]")
{
  const std::string bad_sha = "\"sha\" is not a commit sha (40 hex digits)";
  CHECK(error_of(plain("app", "main", "abc123")) == bad_sha);
  CHECK(error_of(plain("app", "main", kSha + "0")) == bad_sha);
  CHECK(error_of(plain("app", "main", "g123456789abcdef0123456789abcdef01234567")) == bad_sha);
  CHECK(error_of(R"({"repository": {"name": "app"}, "ref": "refs/heads/main", "after": "HEAD"})")
        == "\"after\" is not a commit sha (40 hex digits)");

  const std::string bad_ref = "\"ref\" is not a branch or tag (refs/heads/NAME or refs/tags/NAME)";
  CHECK(error_of(plain("app", "refs/pull/1/head")) == bad_ref);
  CHECK(error_of(plain("app", "refs/heads/")) == bad_ref);
  CHECK(error_of(plain("app", "refs/tags/")) == bad_ref);
  CHECK(error_of(plain("app", "")) == bad_ref);
}

TEST_CASE("a webhook signature is GitHub's HMAC-SHA256", "[agent][webhook]")
{
  // GitHub's documented example: `printf %s 'Hello, World!' | openssl dgst
  // -sha256 -hmac "It's a Secret to Everybody"`.
  const std::string secret = "It's a Secret to Everybody";
  const std::string body = "Hello, World!";
  const std::string header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  CHECK(signature_of(secret, body) == header);
  CHECK(signature_matches(secret, body, header));
  // `printf %s BODY | openssl dgst -sha256 -hmac SECRET` of this body.
  const std::string push = R"({"repo":"app","ref":"main","sha":"0123456789abcdef0123456789abcdef01234567"})";
  CHECK(signature_of(secret, push) == "sha256=dfaf2e1993bf812bdf19e18927b230f2c4c3977c89ffe0ab91426f4f2b6e74b3");

  SECTION("anything else does not match")
  {
    CHECK_FALSE(signature_matches(secret, body + " ", header));
    CHECK_FALSE(signature_matches("another secret", body, header));
    CHECK_FALSE(signature_matches(secret, body, header.substr(7)));
    CHECK_FALSE(signature_matches(secret, body, "sha1=" + header.substr(7)));
    CHECK_FALSE(signature_matches(secret, body, header.substr(0, header.size() - 1)));
    CHECK_FALSE(signature_matches(secret, body, header + "0"));
    CHECK_FALSE(signature_matches(secret, body, header.substr(0, header.size() - 1) + "4"));
    CHECK_FALSE(signature_matches(secret, body, ""));
  }
  SECTION("no secret matches nothing") { CHECK_FALSE(signature_matches("", body, signature_of("", body))); }
}
