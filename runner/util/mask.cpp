#include "util/mask.hpp"

namespace drydock {

std::string mask_secrets(std::string line, const std::vector<std::string>& secrets)
{
  for (const auto& secret : secrets) {
    if (secret.empty()) {
      continue;
    }
    for (auto at = line.find(secret); at != std::string::npos; at = line.find(secret, at + 3)) {
      line.replace(at, secret.size(), "***");
    }
  }
  return line;
}

std::string LineMasker::feed(std::string_view chunk)
{
  m_partial.append(chunk);
  const auto last_newline = m_partial.rfind('\n');
  if (last_newline == std::string::npos) {
    return {};
  }
  std::string lines = mask_secrets(m_partial.substr(0, last_newline + 1), m_secrets);
  m_partial.erase(0, last_newline + 1);
  return lines;
}

std::string LineMasker::finish()
{
  std::string rest = mask_secrets(std::move(m_partial), m_secrets);
  m_partial.clear();
  return rest;
}

} // namespace drydock
