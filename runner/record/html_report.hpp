#pragma once
// report.html: one self-contained page (inline CSS and JS, no external
// assets, readable offline from file://): the verdict and summary, the
// failures with their last lines, the timeline (a bar per step on its lane,
// coloured by status, the critical path marked, needs on hover), each step's
// log collapsible and searchable, services' time to ready, image and cache
// decisions. The run is one JSON blob in the page, drawn by the script, so
// 10,000 steps stay fast: logs are turned into DOM only when opened. Pure:
// the logs come in through `LogTails`, the time from the events.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "record/replay.hpp"
#include "record/timeline.hpp"

namespace drydock::record {

struct HtmlLimits {
  std::size_t log_lines = 200;                            // per step
  std::size_t log_bytes = std::size_t{64} * 1024;         // per step
  std::size_t total_log_bytes = std::size_t{2560} * 1024; // all steps: failed steps' logs come first
};

using LogTails = std::function<LogTail(const StepHistory& step, std::size_t max_lines, std::size_t max_bytes)>;

std::string report_html(const RunHistory& history, const Timeline& timeline, const LogTails& log_tails,
                        const HtmlLimits& limits = {});

// JSON text made safe inside <script>: '<', '>', '&', U+2028 and U+2029
// as \u escapes (only strings can hold them), so no "</script>" or "<!--"
// ends or changes the script element.
std::string script_safe_json(std::string_view json);

// Text for HTML: & < > " ' as character references.
std::string html_escape(std::string_view text);

// The page around the data (record/html_page.cpp).
std::string_view html_page_head();   // up to the <title> text
std::string_view html_page_style();  // after the title, up to the verdict
std::string_view html_page_body();   // after the verdict, up to the JSON
std::string_view html_page_script(); // after the JSON, to the end

} // namespace drydock::record
