#include "agent/webhook.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace drydock::agent {
namespace {

using Json = nlohmann::json;
using Text = tl::expected<std::string, std::string>;

constexpr std::string_view kSignaturePrefix = "sha256=";
constexpr std::string_view kHeads = "refs/heads/";
constexpr std::string_view kTags = "refs/tags/";
// nlohmann's parser recurses per level: a body nested deeper is refused
// before it is parsed, so no sender can exhaust the stack.
constexpr int kMaxDepth = 64;

bool too_deep(std::string_view body)
{
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : body) {
    if (in_string) {
      in_string = escaped || c != '"';
      escaped = !escaped && c == '\\';
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// The string at `key`: missing (or null) is an error unless `optional`.
Text string_field(const Json& object, const char* key, std::string_view path, bool optional = false)
{
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) {
    if (optional) {
      return std::string();
    }
    return tl::unexpected(fmt::format("the push has no \"{}\"", path));
  }
  if (!found->is_string()) {
    return tl::unexpected(fmt::format("\"{}\" is not a string", path));
  }
  return found->get_ref<const std::string&>();
}

Text required_name(const Json& object, const char* key, std::string_view path)
{
  auto text = string_field(object, key, path);
  if (text && text->empty()) {
    return tl::unexpected(fmt::format("\"{}\" is empty", path));
  }
  return text;
}

// 40 hex digits, lowercased.
Text commit_sha(std::string sha, std::string_view path)
{
  const bool hex = sha.size() == 40
                   && std::all_of(sha.begin(), sha.end(), [](unsigned char c) { return std::isxdigit(c); });
  if (!hex) {
    return tl::unexpected(fmt::format("\"{}\" is not a commit sha (40 hex digits)", path));
  }
  std::transform(sha.begin(), sha.end(), sha.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return sha;
}

// refs/heads/NAME or refs/tags/NAME; a bare NAME is a branch.
Text branch_or_tag(std::string ref)
{
  if (!ref.starts_with("refs/")) {
    ref = std::string(kHeads) + ref;
  }
  const bool named = (ref.starts_with(kHeads) && ref.size() > kHeads.size())
                     || (ref.starts_with(kTags) && ref.size() > kTags.size());
  if (!named) {
    return tl::unexpected(std::string("\"ref\" is not a branch or tag (refs/heads/NAME or refs/tags/NAME)"));
  }
  return ref;
}

tl::expected<void, std::string> set(std::string& out, Text value)
{
  if (!value) {
    return tl::unexpected(value.error());
  }
  out = std::move(*value);
  return {};
}

tl::expected<void, std::string> read_repository(const Json& body, PushEvent& event)
{
  const auto found = body.find("repository");
  if (found == body.end() || !found->is_object()) {
    return tl::unexpected(std::string("\"repository\" is not an object"));
  }
  const Json& repository = *found;
  std::string html_url;
  auto done =
      set(event.name, required_name(repository, "name", "repository.name"))
          .and_then(
              [&] { return set(event.full_name, string_field(repository, "full_name", "repository.full_name", true)); })
          .and_then([&] { return set(event.url, string_field(repository, "clone_url", "repository.clone_url", true)); })
          .and_then([&] { return set(html_url, string_field(repository, "html_url", "repository.html_url", true)); });
  if (done && event.url.empty()) {
    event.url = html_url;
  }
  return done;
}

// head_commit is null when nothing is left to build (a deletion).
tl::expected<void, std::string> read_head_commit(const Json& body, PushEvent& event)
{
  const auto found = body.find("head_commit");
  if (found == body.end() || found->is_null()) {
    return {};
  }
  if (!found->is_object()) {
    return tl::unexpected(std::string("\"head_commit\" is not an object"));
  }
  std::string message;
  auto done = set(message, string_field(*found, "message", "head_commit.message", true));
  const auto author = found->find("author");
  if (done && author != found->end() && !author->is_null()) {
    if (!author->is_object()) {
      return tl::unexpected(std::string("\"head_commit.author\" is not an object"));
    }
    done = set(event.author, string_field(*author, "name", "head_commit.author.name", true));
  }
  event.title = message.substr(0, message.find('\n'));
  if (event.title.ends_with('\r')) {
    event.title.pop_back();
  }
  return done;
}

tl::expected<void, std::string> read_deleted(const Json& body, PushEvent& event)
{
  const auto found = body.find("deleted");
  if (found == body.end() || found->is_null()) {
    return {};
  }
  if (!found->is_boolean()) {
    return tl::unexpected(std::string("\"deleted\" is not true or false"));
  }
  event.deleted = found->get<bool>();
  return {};
}

tl::expected<PushEvent, std::string> github_push(const Json& body)
{
  PushEvent event;
  std::string ref;
  std::string sha;
  auto done = read_repository(body, event)
                  .and_then([&] { return set(ref, string_field(body, "ref", "ref")); })
                  .and_then([&] { return set(event.ref, branch_or_tag(ref)); })
                  .and_then([&] { return set(sha, string_field(body, "after", "after")); })
                  .and_then([&] { return set(event.sha, commit_sha(sha, "after")); })
                  .and_then([&] { return read_deleted(body, event); })
                  .and_then([&] { return read_head_commit(body, event); });
  return done.map([&] { return std::move(event); });
}

// {"repo": ..., "ref": ..., "sha": ...}: repo is a name, or a URL or path
// when it has a / or a : in it.
tl::expected<PushEvent, std::string> plain_push(const Json& body)
{
  PushEvent event;
  std::string ref;
  std::string sha;
  auto done = set(event.name, required_name(body, "repo", "repo"))
                  .and_then([&] { return set(ref, string_field(body, "ref", "ref")); })
                  .and_then([&] { return set(event.ref, branch_or_tag(ref)); })
                  .and_then([&] { return set(sha, string_field(body, "sha", "sha")); })
                  .and_then([&] { return set(event.sha, commit_sha(sha, "sha")); });
  if (done && event.name.find_first_of("/:") != std::string::npos) {
    event.url = event.name;
  }
  return done.map([&] { return std::move(event); });
}

tl::expected<PushEvent, std::string> parse_json_push(std::string_view body)
{
  if (too_deep(body)) {
    return tl::unexpected(std::string("the body is nested too deeply"));
  }
  const Json json = Json::parse(body.begin(), body.end(), nullptr, false);
  if (json.is_discarded()) {
    return tl::unexpected(std::string("the body is not JSON"));
  }
  if (!json.is_object()) {
    return tl::unexpected(std::string("the body is not a JSON object"));
  }
  if (json.contains("repository")) {
    return github_push(json);
  }
  if (json.contains("repo")) {
    return plain_push(json);
  }
  return tl::unexpected(std::string(R"(the push has no "repository" (GitHub) or "repo")"));
}

} // namespace

tl::expected<PushEvent, std::string> parse_push(std::string_view body)
{
  try {
    return parse_json_push(body);
  } catch (const std::exception& e) {
    return tl::unexpected(fmt::format("the push could not be read: {}", e.what()));
  }
}

std::string signature_of(std::string_view secret, std::string_view body)
{
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  // A string_view may hold no pointer at all; OpenSSL wants one.
  static constexpr unsigned char kNothing = 0;
  const auto* key = secret.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(secret.data());
  const auto* data = body.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(body.data());
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, body.size(), mac.data(), &size) == nullptr) {
    return std::string();
  }
  std::string out(kSignaturePrefix);
  for (unsigned int i = 0; i < size; ++i) {
    out += fmt::format("{:02x}", mac[i]);
  }
  return out;
}

bool signature_matches(std::string_view secret, std::string_view body, std::string_view header)
{
  if (secret.empty() || !header.starts_with(kSignaturePrefix)) {
    return false;
  }
  const std::string expected = signature_of(secret, body);
  if (expected.empty() || header.size() != expected.size()) {
    return false;
  }
  return CRYPTO_memcmp(expected.data(), header.data(), expected.size()) == 0;
}

} // namespace drydock::agent
