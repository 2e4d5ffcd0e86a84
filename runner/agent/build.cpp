#include "agent/build.hpp"

#include <array>

#include "record/safe_text.hpp"
#include <utility>

namespace drydock::agent {
namespace {

constexpr std::array<std::pair<BuildStatus, std::string_view>, 7> kStatusNames{{
    {BuildStatus::queued, "queued"},
    {BuildStatus::running, "running"},
    {BuildStatus::success, "success"},
    {BuildStatus::failed, "failed"},
    {BuildStatus::error, "error"},
    {BuildStatus::canceled, "canceled"},
    {BuildStatus::interrupted, "interrupted"},
}};

constexpr std::string_view kHeads = "refs/heads/";
constexpr std::string_view kTags = "refs/tags/";

} // namespace

std::string_view to_string(BuildStatus status)
{
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) {
      return name;
    }
  }
  return "error";
}

std::optional<BuildStatus> parse_status(std::string_view text)
{
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

BuildRequest displayable(BuildRequest request)
{
  request.author = record::safe_text(request.author);
  request.title = record::safe_text(request.title);
  return request;
}

bool is_final(BuildStatus status) { return status != BuildStatus::queued && status != BuildStatus::running; }

std::string Build::branch() const { return ref.starts_with(kHeads) ? ref.substr(kHeads.size()) : std::string(); }

std::string Build::tag() const { return ref.starts_with(kTags) ? ref.substr(kTags.size()) : std::string(); }

} // namespace drydock::agent
