#pragma once
// Which front end reads a config: decided by its content (a top-level
// `version:` is CircleCI 2.x; circle.yml 1.0 has none), never by its name.
#include <string>

namespace drydock::frontends {

enum class Format { circle1, circle2 };

// Text that is not YAML goes to the 1.0 front end, which reports it.
Format format_of(const std::string& path, const std::string& text);

// What `drydock run`, `plan` and `validate` read when given no file:
// .circleci/config.yml when there is one, else circle.yml.
std::string default_config_file();

} // namespace drydock::frontends
