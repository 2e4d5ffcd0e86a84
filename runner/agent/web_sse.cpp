#include "agent/web_internal.hpp"

namespace drydock::agent::web {
namespace {

// A longer line is sent in pieces; a message holds lines up to about this.
constexpr std::size_t kMaxLine = std::size_t{16} * 1024;
constexpr std::size_t kMaxMessage = std::size_t{64} * 1024;

class Messages {
public:
  void add_line(std::string_view line)
  {
    if (m_open && m_current.size() + line.size() > kMaxMessage) {
      close();
    }
    if (!m_open) {
      m_current += "event: log\n";
      m_open = true;
    }
    m_current.append("data: ").append(line).append("\n");
  }

  std::string take()
  {
    close();
    return std::move(m_current);
  }

private:
  void close()
  {
    if (m_open) {
      m_current += "\n";
      m_open = false;
    }
  }

  std::string m_current;
  bool m_open = false;
};

} // namespace

std::string LogEvents::feed(std::string_view bytes, bool final)
{
  Messages messages;
  for (const char c : bytes) {
    const bool crlf = m_after_cr && c == '\n';
    m_after_cr = c == '\r';
    if (crlf) {
      continue; // the line ended at its CR
    }
    const bool line_end = c == '\r' || c == '\n';
    if (!line_end) {
      m_line += c;
    }
    if (line_end || m_line.size() >= kMaxLine) { // a long line goes in pieces
      messages.add_line(m_line);
      m_line.clear();
    }
  }
  if (final && !m_line.empty()) {
    messages.add_line(m_line);
    m_line.clear();
  }
  return messages.take();
}

std::string status_event(BuildStatus status)
{
  return "event: status\ndata: " + nlohmann::json{{"status", to_string(status)}}.dump() + "\n\n";
}

std::string stream_head()
{
  return "HTTP/1.1 200 OK\r\n"
         "Content-Type: text/event-stream\r\n"
         "Cache-Control: no-cache\r\n"
         "X-Content-Type-Options: nosniff\r\n"
         "Connection: close\r\n"
         "\r\n";
}

} // namespace drydock::agent::web
