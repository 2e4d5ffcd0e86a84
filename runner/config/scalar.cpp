#include "config/scalar.hpp"

#include <charconv>
#include <cctype>
#include <string_view>

namespace drydock::config {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Consumes a run of characters accepted by pred; returns how many.
template <class Pred>
std::size_t skip(std::string_view text, std::size_t at, Pred pred)
{
  std::size_t end = at;
  while (end < text.size() && pred(text[end])) {
    ++end;
  }
  return end - at;
}

bool is_integer(std::string_view text)
{
  if (text.starts_with("0x") && text.size() > 2) {
    return skip(text, 2, [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }) == text.size() - 2;
  }
  if (text.starts_with("0o") && text.size() > 2) {
    return skip(text, 2, [](char c) { return c >= '0' && c <= '7'; }) == text.size() - 2;
  }
  const std::size_t sign = (text.starts_with('-') || text.starts_with('+')) ? 1 : 0;
  return text.size() > sign && skip(text, sign, is_digit) == text.size() - sign;
}

// [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?  or .inf / .nan
bool is_float(std::string_view text)
{
  static constexpr std::string_view specials[] = {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"};
  std::size_t at = (text.starts_with('-') || text.starts_with('+')) ? 1 : 0;
  for (const auto special : specials) {
    if (text.substr(at) == special && (at == 0 || special[1] == 'i' || special[1] == 'I')) {
      return true;
    }
  }
  const std::size_t whole = skip(text, at, is_digit);
  at += whole;
  std::size_t fraction = 0;
  if (at < text.size() && text[at] == '.') {
    fraction = skip(text, at + 1, is_digit);
    at += 1 + fraction;
  }
  if (whole == 0 && fraction == 0) {
    return false;
  }
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    if (at < text.size() && (text[at] == '-' || text[at] == '+')) {
      ++at;
    }
    const std::size_t exponent = skip(text, at, is_digit);
    if (exponent == 0) {
      return false;
    }
    at += exponent;
  }
  return at == text.size();
}

ScalarType resolve_plain(const std::string& text)
{
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarType::null;
  }
  if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" || text == "FALSE") {
    return ScalarType::boolean;
  }
  if (is_integer(text)) {
    return ScalarType::integer;
  }
  if (is_float(text)) {
    return ScalarType::floating;
  }
  return ScalarType::string;
}

} // namespace

ScalarType resolve_scalar(const Node& node)
{
  if (node.is_null()) {
    return ScalarType::null;
  }
  if (node.is_plain()) {
    return resolve_plain(node.text);
  }
  if (node.tag.starts_with(kTagPrefix)) {
    const auto name = std::string_view(node.tag).substr(kTagPrefix.size());
    if (name == "int") {
      return ScalarType::integer;
    }
    if (name == "float") {
      return ScalarType::floating;
    }
    if (name == "bool") {
      return ScalarType::boolean;
    }
    if (name == "null") {
      return ScalarType::null;
    }
  }
  return ScalarType::string;
}

std::optional<long long> scalar_as_integer(const Node& node)
{
  if (!node.is_scalar() || resolve_scalar(node) != ScalarType::integer) {
    return std::nullopt;
  }
  std::string_view text = node.text;
  int base = 10;
  if (text.starts_with("0x")) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.starts_with("0o")) {
    base = 8;
    text.remove_prefix(2);
  } else if (text.starts_with("+")) {
    text.remove_prefix(1);
  }
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt; // out of range, or a tagged scalar that is no number
  }
  return value;
}

std::optional<bool> scalar_as_bool(const Node& node)
{
  if (!node.is_scalar() || resolve_scalar(node) != ScalarType::boolean) {
    return std::nullopt;
  }
  return node.text == "true" || node.text == "True" || node.text == "TRUE";
}

} // namespace drydock::config
