#include "frontends/circle2/lower_parts.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <utility>

namespace drydock::circle2 {

namespace {

// Positional parameters only: a variable of the wrapper's would shadow one the step has.
constexpr const char* kHaltFile = R"sh(export DRYDOCK_HALT_FILE="${TMPDIR:-/tmp}/.drydock-halt-$$"; )sh";
constexpr const char* kHaltEnd = R"sh(; set -- $? "$DRYDOCK_HALT_FILE"; if [ -e "$2" ]; then rm -f "$2"; )sh"
                                 R"sh([ "$1" -ne 0 ] || exit 187; fi; [ "$1" -ne 187 ] || exit 1; exit "$1")sh";

} // namespace

std::vector<std::string> shell_of(const std::optional<Text>& step_shell, const std::optional<Text>& job_shell)
{
  static_assert(kHaltExitCode == 187, "kHaltEnd writes it out");
  const auto& chosen = step_shell ? step_shell : job_shell;
  if (chosen) {
    std::vector<std::string> words{"sh", "-c", std::string(kHaltFile) + R"sh("$@")sh" + kHaltEnd, "sh"};
    std::string word;
    for (const char c : chosen->value + " ") {
      if (c == ' ' || c == '\t') {
        if (!word.empty()) {
          words.push_back(std::exchange(word, {}));
        }
      } else {
        word += c;
      }
    }
    words.emplace_back("-c");
    return words;
  }
  return {"sh", "-c",
          std::string(kHaltFile)
              + R"sh(if command -v bash >/dev/null 2>&1; then bash -eo pipefail -c "$1"; else sh -e -c "$1"; fi)sh"
              + kHaltEnd,
          "sh"};
}

std::string first_line(const std::string& text)
{
  constexpr std::size_t kLongest = 48;
  const auto begin = std::min(text.find_first_not_of(" \t\n"), text.size());
  const auto end = text.find('\n', begin);
  std::string line = text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  const bool more = end != std::string::npos && end + 1 < text.size();
  if (line.size() > kLongest) {
    std::size_t cut = kLongest;
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
      --cut; // not inside a UTF-8 character
    }
    return line.substr(0, cut) + " ...";
  }
  return more ? line + " ..." : line;
}

std::string as_dir_name(const std::string& name)
{
  std::string out;
  for (const char c : name) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    out += plain ? c : '_';
  }
  return out == "." || out == ".." || out.empty() ? "_" + out : out;
}

std::string layer_dir(const std::string& root, const std::vector<std::string>& parts)
{
  std::string dir = root;
  for (const auto& part : parts) {
    dir += "/" + as_dir_name(part);
  }
  return dir;
}

std::string artifact_place(const StoreStep& store)
{
  std::string place = store.destination ? store.destination->value : store.path.value;
  for (const std::string_view lead : {"~/", "/", "./"}) {
    while (place.starts_with(lead)) {
      place.erase(0, lead.size());
    }
  }
  std::string safe;
  for (const auto& part : std::filesystem::path(place)) {
    if (part != ".." && part != "." && !part.empty()) {
      safe += (safe.empty() ? "" : "/") + part.string();
    }
  }
  return safe;
}

std::vector<std::string> values_of(const std::vector<Text>& texts)
{
  std::vector<std::string> values;
  for (const auto& text : texts) {
    values.push_back(text.value);
  }
  return values;
}

} // namespace drydock::circle2
