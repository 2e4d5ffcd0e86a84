#pragma once
// Step names and logs are hostile input: any bytes at all. Every report
// writer passes text through here first, so what it writes is UTF-8 that
// XML 1.0, JSON and HTML all accept.
#include <string>
#include <string_view>

namespace drydock::record {

// The text with each byte that does not start valid UTF-8 (RFC 3629: no
// overlong forms, surrogates or code points past U+10FFFF) and each control
// character but \t, \n and \r (XML 1.0 forbids them), as well as U+FFFE and
// U+FFFF, replaced by U+FFFD.
std::string safe_text(std::string_view bytes);

} // namespace drydock::record
