#include "record/safe_text.hpp"

#include <cstdint>

namespace drydock::record {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The length of the valid UTF-8 sequence at the start of `text`, or 0.
std::size_t sequence_length(std::string_view text)
{
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(0);
  const std::size_t length = lead < 0x80                    ? 1
                             : lead >= 0xC2 && lead <= 0xDF ? 2
                             : lead >= 0xE0 && lead <= 0xEF ? 3
                             : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                            : 0;
  if (length == 0 || length > text.size()) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
  }
  const std::uint8_t second = length > 1 ? byte(1) : 0;
  const bool overlong_or_surrogate = (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F)
                                     || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F);
  return overlong_or_surrogate ? 0 : length;
}

bool allowed_in_xml(std::string_view sequence)
{
  if (sequence.size() == 1) {
    const char c = sequence[0];
    return static_cast<std::uint8_t>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r';
  }
  return sequence != "\xEF\xBF\xBE" && sequence != "\xEF\xBF\xBF"; // U+FFFE, U+FFFF
}

} // namespace

std::string safe_text(std::string_view bytes)
{
  std::string text;
  text.reserve(bytes.size());
  while (!bytes.empty()) {
    const std::size_t length = sequence_length(bytes);
    const std::string_view sequence = bytes.substr(0, length == 0 ? 1 : length);
    text += length != 0 && allowed_in_xml(sequence) ? sequence : kReplacement;
    bytes.remove_prefix(sequence.size());
  }
  return text;
}

} // namespace drydock::record
