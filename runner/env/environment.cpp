#include "env/environment.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "util/lines.hpp"

namespace drydock::env {

Environment Environment::from_entries(const std::vector<std::string>& entries)
{
  Environment env;
  for (const auto& entry : entries) {
    const auto equals = entry.find('=');
    if (equals != std::string::npos && equals > 0) {
      env.set(entry.substr(0, equals), entry.substr(equals + 1));
    }
  }
  return env;
}

void Environment::set(const std::string& name, std::string value)
{
  const auto found = std::find_if(m_vars.begin(), m_vars.end(), [&](const auto& var) { return var.first == name; });
  if (found != m_vars.end()) {
    found->second = std::move(value);
  } else {
    m_vars.emplace_back(name, std::move(value));
  }
}

void Environment::erase(const std::string& name)
{
  std::erase_if(m_vars, [&](const auto& var) { return var.first == name; });
}

Environment without(const Environment& env, const std::vector<std::string>& names)
{
  const auto matches = [&](const std::string& name) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& pattern) {
      return pattern.ends_with('*') ? name.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))
                                    : name == pattern;
    });
  };
  Environment kept;
  for (const auto& [name, value] : env.vars()) {
    if (!matches(name)) {
      kept.set(name, value);
    }
  }
  return kept;
}

std::optional<std::string> Environment::get(std::string_view name) const
{
  const auto found = std::find_if(m_vars.begin(), m_vars.end(), [&](const auto& var) { return var.first == name; });
  if (found == m_vars.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::vector<std::string> Environment::entries() const
{
  std::vector<std::string> out;
  out.reserve(m_vars.size());
  for (const auto& [name, value] : m_vars) {
    std::string& entry = out.emplace_back();
    entry.reserve(name.size() + 1 + value.size());
    entry.append(name).append("=").append(value);
  }
  return out;
}

namespace {

bool is_name_char(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

} // namespace

bool is_valid_name(std::string_view name)
{
  return !name.empty() && !(name[0] >= '0' && name[0] <= '9') && std::all_of(name.begin(), name.end(), is_name_char);
}

std::string expand_home(const std::string& path, const std::string& home)
{
  if (path == "~" || path.starts_with("~/")) {
    return home + path.substr(1);
  }
  return path;
}

std::string expand(std::string_view text, const Environment& env)
{
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const auto close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        out += text.substr(i); // validate reports this; keep the text as written
        break;
      }
      out += env.get(text.substr(i + 2, close - i - 2)).value_or("");
      i = close;
    } else if (c == '$' && i + 1 < text.size() && is_name_char(text[i + 1])
               && !(text[i + 1] >= '0' && text[i + 1] <= '9')) {
      std::size_t end = i + 1;
      while (end < text.size() && is_name_char(text[end])) {
        ++end;
      }
      out += env.get(text.substr(i + 1, end - i - 1)).value_or("");
      i = end - 1;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>>
apply_expanded(Environment& env, const std::vector<std::pair<std::string, std::string>>& vars)
{
  std::vector<std::pair<std::string, std::string>> applied;
  for (const auto& [name, value] : vars) {
    applied.emplace_back(name, expand(value, env));
    env.set(name, applied.back().second);
  }
  return applied;
}

tl::expected<std::pair<std::string, std::string>, std::string> parse_assignment(std::string_view text)
{
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    return tl::unexpected(fmt::format("expected NAME=value, got '{}'", text));
  }
  const std::string name(text.substr(0, equals));
  if (!is_valid_name(name)) {
    return tl::unexpected(fmt::format("'{}' is not a valid variable name", name));
  }
  return std::pair{name, std::string(text.substr(equals + 1))};
}

namespace {

std::string_view trim(std::string_view text)
{
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

tl::expected<std::string, std::string> dotenv_value(std::string_view raw)
{
  if (raw.empty() || (raw.front() != '"' && raw.front() != '\'')) {
    const auto comment = raw.find(" #");
    return std::string(trim(raw.substr(0, comment)));
  }
  const char quote = raw.front();
  std::string value;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == quote) {
      const auto rest = trim(raw.substr(i + 1));
      if (!rest.empty() && rest.front() != '#') {
        return tl::unexpected(std::string("text after the closing quote"));
      }
      return value;
    }
    if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
      const char next = raw[++i];
      value += next == 'n' ? '\n' : next == 't' ? '\t' : next;
    } else {
      value += c;
    }
  }
  return tl::unexpected(fmt::format("missing closing {}", quote));
}

} // namespace

tl::expected<std::vector<std::pair<std::string, std::string>>, std::string> parse_dotenv(std::string_view text)
{
  std::vector<std::pair<std::string, std::string>> vars;
  int number = 0;
  for (const auto raw : util::lines(text)) {
    const auto line = trim(raw);
    ++number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto body = line.starts_with("export ") ? trim(line.substr(7)) : line;
    const auto equals = body.find('=');
    if (equals == std::string_view::npos) {
      return tl::unexpected(fmt::format("line {}: expected NAME=value", number));
    }
    const std::string name(trim(body.substr(0, equals)));
    if (!is_valid_name(name)) {
      return tl::unexpected(fmt::format("line {}: '{}' is not a valid variable name", number, name));
    }
    auto value = dotenv_value(trim(body.substr(equals + 1)));
    if (!value) {
      return tl::unexpected(fmt::format("line {}: {}", number, value.error()));
    }
    vars.emplace_back(name, std::move(*value));
  }
  return vars;
}

} // namespace drydock::env
