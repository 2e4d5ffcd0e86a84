#include "util/mask.hpp"

#include <algorithm>

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

std::vector<std::string> masking_order(std::vector<std::string> secrets)
{
  std::erase(secrets, std::string());
  std::sort(secrets.begin(), secrets.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  secrets.erase(std::unique(secrets.begin(), secrets.end()), secrets.end());
  return secrets;
}

namespace {

std::size_t longest(const std::vector<std::string>& secrets)
{
  std::size_t most = 0;
  for (const auto& secret : secrets) {
    most = std::max(most, secret.size());
  }
  return most;
}

// At most `limit` bytes, never inside a UTF-8 sequence.
std::size_t cut_point(std::string_view text, std::size_t limit)
{
  if (text.size() <= limit) {
    return text.size();
  }
  std::size_t cut = limit;
  while (cut > limit - 3 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return cut;
}

} // namespace

std::vector<std::string> take_long_pieces(std::string& partial, const std::vector<std::string>& secrets)
{
  const std::size_t hold = secrets.empty() ? 0 : longest(secrets) - 1;
  std::vector<std::string> pieces;
  if (partial.size() < kMaxLineBytes + hold) {
    return pieces;
  }
  if (!secrets.empty()) {
    partial = mask_secrets(std::move(partial), secrets); // *** may straddle a cut; a secret cannot
  }
  std::size_t taken = 0;
  while (partial.size() - taken >= kMaxLineBytes + hold) {
    const std::string_view rest = std::string_view(partial).substr(taken);
    const std::size_t cut = cut_point(rest, kMaxLineBytes);
    pieces.emplace_back(rest.substr(0, cut));
    taken += cut;
  }
  partial.erase(0, taken);
  return pieces;
}

std::string LineMasker::feed(std::string_view chunk)
{
  // Only the new chunk is searched for its last newline: linear in time.
  const auto in_chunk = chunk.rfind('\n');
  const std::size_t before = m_partial.size();
  m_partial.append(chunk);
  std::string lines;
  if (in_chunk != std::string_view::npos) {
    lines = mask_secrets(m_partial.substr(0, before + in_chunk + 1), m_secrets);
    m_partial.erase(0, before + in_chunk + 1);
  }
  for (const auto& piece : take_long_pieces(m_partial, m_secrets)) {
    lines.append(piece).append(1, '\n');
  }
  return lines;
}

std::string LineMasker::finish()
{
  std::string rest = mask_secrets(std::move(m_partial), m_secrets);
  m_partial.clear();
  return rest;
}

} // namespace drydock
