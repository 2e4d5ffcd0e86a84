#pragma once
// Diagnostics as text: "FILE:LINE:COL: error: message", the source line and a caret.
#include <cstddef>
#include <string>

#include "util/diagnostic.hpp"
#include "util/source.hpp"

namespace drydock::report {

// One diagnostic with its source excerpt, ending in a newline.
std::string format_diagnostic(const SourceFile& source, const Diagnostic& diagnostic);

// A file report shows this many diagnostics and counts the rest: past a
// hundred, more text only hides the summary (--format json lists them all).
constexpr std::size_t kMaxShownDiagnostics = 100;

// The file's diagnostics (the first kMaxShownDiagnostics, then "... and N
// more errors"), then a summary line with the true counts ("FILE: valid" or
// "FILE: 2 errors, 1 warning").
std::string format_file_report(const SourceFile& source, const Diagnostics& diagnostics);

// A command's first line, cut to max_chars characters (UTF-8 code points),
// with "..." when anything was left out.
std::string summarize_command(const std::string& text, std::size_t max_chars);

// "FILE: error: message" for a file that could not be read at all.
std::string format_unreadable(const std::string& path, const std::string& reason);

} // namespace drydock::report
