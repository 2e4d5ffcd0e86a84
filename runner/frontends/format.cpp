#include "frontends/format.hpp"

#include <filesystem>

#include "config/yaml_tree.hpp"
#include "frontends/circle2/load.hpp"

namespace drydock::frontends {

Format format_of(const std::string& path, const std::string& text)
{
  const SourceFile source(path, text);
  Diagnostics ignored; // the chosen front end parses again and reports
  const auto root = config::parse_yaml(source, ignored);
  return root != nullptr && circle2::is_circle2(*root) ? Format::circle2 : Format::circle1;
}

std::string default_config_file()
{
  std::error_code ec;
  return std::filesystem::exists(".circleci/config.yml", ec) ? ".circleci/config.yml" : "circle.yml";
}

} // namespace drydock::frontends
