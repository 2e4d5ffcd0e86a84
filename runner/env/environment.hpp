#pragma once
// Environment variables for steps: ordered, with ${VAR} expansion and
// dotenv files. Pure: the caller passes the host's variables in.
#include <tl/expected.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace drydock::env {

// Name=value pairs; setting a name again replaces its value in place.
class Environment {
public:
  Environment() = default;
  // From "NAME=value" strings, as environ holds them.
  static Environment from_entries(const std::vector<std::string>& entries);

  void set(const std::string& name, std::string value);
  void erase(const std::string& name);
  std::optional<std::string> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& vars() const { return m_vars; }
  std::vector<std::string> entries() const; // "NAME=value"

private:
  std::vector<std::pair<std::string, std::string>> m_vars;
};

// `env` without the variables `names` matches: a NAME, or a PREFIX*.
Environment without(const Environment& env, const std::vector<std::string>& names);

// Expands $NAME and ${NAME} from env (unset names expand to nothing, as in a
// shell); "\$" is a literal dollar.
std::string expand(std::string_view text, const Environment& env);

// A leading ~ (alone or before /) as the home directory, as a shell does.
std::string expand_home(const std::string& path, const std::string& home);

// Applies each pair in order, expanding values against what is set so far,
// so later values may refer to earlier ones. Returns the pairs as set.
std::vector<std::pair<std::string, std::string>>
apply_expanded(Environment& env, const std::vector<std::pair<std::string, std::string>>& vars);

// A dotenv file: NAME=value lines, "export " allowed, # comments, values in
// single quotes (literal) or double quotes (\n, \", \\ escapes). Errors name
// the line: "line 3: expected NAME=value".
tl::expected<std::vector<std::pair<std::string, std::string>>, std::string> parse_dotenv(std::string_view text);

// "NAME=value" from the command line.
tl::expected<std::pair<std::string, std::string>, std::string> parse_assignment(std::string_view text);

bool is_valid_name(std::string_view name);

} // namespace drydock::env
