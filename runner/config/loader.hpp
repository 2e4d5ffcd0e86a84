#pragma once
// YAML tree -> typed Config, reporting every structural problem at once.
#include <string>
#include <vector>

#include "config/model.hpp"
#include "config/reader.hpp"
#include "config/yaml_tree.hpp"
#include "util/diagnostic.hpp"

namespace drydock::config {

// root may be null (an empty file): the result is then an empty Config.
Config load_config(const Node* root, std::string path, Diagnostics& diags);

// A CircleCI 2.x config saved as circle.yml: a top-level `version` of 2 or
// 2.x. Reports that at the `version` key and returns true; the rest of such
// a file is not worth a message each.
bool report_circleci_2(const Node& root, Diagnostics& diags);

// The mapping kinds the loader reads and the keys each allows. Named as the
// schema's definitions, so a test can prove the two agree.
struct KindKeys {
  std::string kind;
  std::vector<std::string> keys;
};
std::vector<KindKeys> loader_key_tables();

// The extension half of the loader (loader_extension.cpp).
void read_extension(Reader& reader, const Node& node, std::string_view path, Extension& out);
void read_step_extension(Reader& reader, const Node& node, std::string_view path, StepExtension& out);
void read_deployment_extension(Reader& reader, const Node& node, std::string_view path, Deployment& out);
std::vector<KindKeys> extension_key_tables();

} // namespace drydock::config
