#pragma once
// POST /api/hooks/push: what a push webhook says, and whether it is signed
// by the shared secret. Accepts GitHub's push event and a plain
// {"repo": ..., "ref": ..., "sha": ...} body. No IO here.
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace drydock::agent {

struct PushEvent {
  // How the sender names the repository: any of these may match a repo of
  // the agent (its name, its URL, or OWNER/REPO of its URL).
  std::string name;      // GitHub: repository.name; plain: repo
  std::string full_name; // GitHub: repository.full_name (OWNER/REPO)
  std::string url;       // GitHub: repository.clone_url (else html_url); plain: repo when it looks like a URL or path
  std::string ref;       // refs/heads/NAME or refs/tags/NAME (a plain NAME is taken as refs/heads/NAME)
  std::string sha;       // after: 40 hex digits
  std::string author;    // head_commit.author.name, when given
  std::string title;     // head_commit.message's first line, when given
  bool deleted = false;  // a branch or tag deleted: nothing to build
};

// The event in the body, or why it is not one (not JSON, a field missing
// or of the wrong type, a sha that is not 40 hex digits, a ref that is not
// a branch or tag).
tl::expected<PushEvent, std::string> parse_push(std::string_view body);

// GitHub's X-Hub-Signature-256 check: "sha256=" and the hex HMAC-SHA256 of
// the body with the secret, compared in constant time.
bool signature_matches(std::string_view secret, std::string_view body, std::string_view header);

// The header value a sender would put (for tests and for our own tools).
std::string signature_of(std::string_view secret, std::string_view body);

} // namespace drydock::agent
