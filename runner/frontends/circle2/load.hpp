#pragma once
// A CircleCI 2.x config's YAML tree read into the typed model, and the
// whole check of its text: YAML, model, references between jobs and
// workflows, cycles. Every problem is a diagnostic with its position, all
// of them at once. Pure: the caller reads the file.
#include <string>

#include "config/yaml_tree.hpp"
#include "frontends/circle2/expand.hpp"
#include "frontends/circle2/model.hpp"
#include "frontends/circle2/orbs.hpp"
#include "util/diagnostic.hpp"
#include "util/source.hpp"

namespace drydock::circle2 {

// Whether a config's top level says it is for CircleCI 2.x (`version: 2`,
// `2.0` or `2.1`, or any other version, which is then an error here): the
// content decides, not the file's name.
bool is_circle2(const config::Node& root);

// The config as `written`; `values` fill `<< pipeline.* >>` (validate has
// none: empty text, number 0); registry orbs come from `orbs`.
Config load_config(const config::Node& written, const std::string& path, Diagnostics& diags,
                   const PipelineValues& values = {}, const OrbLibrary& orbs = no_orbs());

struct Validation {
  SourceFile source;
  Diagnostics diagnostics;
  Config config; // as far as it could be read; trust it only without errors
};
Validation validate_text(const std::string& path, std::string text, const PipelineValues& values = {},
                         const OrbLibrary& orbs = no_orbs());

} // namespace drydock::circle2
