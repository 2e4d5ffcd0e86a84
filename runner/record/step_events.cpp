#include "record/step_events.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>

namespace drydock::record {

void append_step_event(const std::string& path, std::string_view event, const nlohmann::ordered_json& fields)
{
  if (path.empty()) {
    return;
  }
  nlohmann::ordered_json line = {{"event", event}};
  for (const auto& [key, value] : fields.items()) {
    line[key] = value;
  }
  const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return; // the record loses the event; the step's work is not worse for it
  }
  [[maybe_unused]] const auto written = ::write(fd, text.data(), text.size());
  ::close(fd);
}

std::vector<nlohmann::ordered_json> read_step_events(const std::string& path)
{
  std::vector<nlohmann::ordered_json> events;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto json = nlohmann::ordered_json::parse(line, nullptr, false);
    if (!json.is_discarded() && json.is_object() && json.contains("event") && json["event"].is_string()) {
      events.push_back(std::move(json));
    }
  }
  return events;
}

} // namespace drydock::record
