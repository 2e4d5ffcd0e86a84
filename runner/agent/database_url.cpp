// Database URLs as messages show them: the password masked, in both forms
// libpq takes (a postgresql:// URL and a key=value conninfo), read the way
// libpq reads them so that no part of a password is shown.
#include <algorithm>
#include <cctype>
#include <string_view>

#include "agent/store.hpp"

namespace drydock::agent {
namespace {

bool is_uri(std::string_view url) { return url.starts_with("postgresql://") || url.starts_with("postgres://"); }

// postgresql://user:SECRET@host/db: the userinfo ends at the last @ (a
// raw @ in a password is masked too, rather than shown in part).
std::string mask_userinfo(std::string url)
{
  const auto start = url.find("://") + 3;
  const auto at = url.rfind('@');
  const auto colon = url.find(':', start);
  if (at != std::string::npos && at > start && colon < at) {
    url.replace(colon + 1, at - colon - 1, "***");
  }
  return url;
}

// ...?sslmode=require&password=SECRET&...
std::string mask_query(std::string url)
{
  for (auto found = url.find("password=", url.find('?')); found != std::string::npos;
       found = url.find("password=", found + 1)) {
    if (url[found - 1] == '?' || url[found - 1] == '&') {
      const auto value = found + std::string_view("password=").size();
      const auto stop = std::min(url.find('&', value), url.size());
      url.replace(value, stop - value, "***");
    }
  }
  return url;
}

std::size_t skip_spaces(std::string_view text, std::size_t i)
{
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) {
    ++i;
  }
  return i;
}

// Where a conninfo value starting at `i` ends: after its closing quote
// ('...' with \' and \\), or at the next space.
std::size_t value_end(std::string_view text, std::size_t i)
{
  const bool quoted = i < text.size() && text[i] == '\'';
  for (i += quoted ? 1 : 0; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (quoted ? text[i] == '\'' : std::isspace(static_cast<unsigned char>(text[i])) != 0) {
      return quoted ? i + 1 : i;
    }
  }
  return text.size();
}

// host=db password=SECRET dbname=ci: each key = value read as libpq does.
std::string mask_conninfo(std::string_view info)
{
  std::string out;
  std::size_t i = 0;
  while (i < info.size()) {
    auto key_end = skip_spaces(info, i);
    const auto key_start = key_end;
    while (key_end < info.size() && info[key_end] != '='
           && std::isspace(static_cast<unsigned char>(info[key_end])) == 0) {
      ++key_end;
    }
    const auto equals = skip_spaces(info, key_end);
    if (equals >= info.size() || info[equals] != '=') {
      out.append(info.substr(i)); // not key = value: libpq refuses it
      break;
    }
    const auto value = skip_spaces(info, equals + 1);
    const auto end = value_end(info, value);
    out.append(info.substr(i, value - i));
    out.append(info.substr(key_start, key_end - key_start) == "password" ? "***" : info.substr(value, end - value));
    i = end;
  }
  return out;
}

} // namespace

std::string mask_database_url(const std::string& url)
{
  return is_uri(url) ? mask_query(mask_userinfo(url)) : mask_conninfo(url);
}

} // namespace drydock::agent
