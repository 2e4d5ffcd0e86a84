#pragma once
// The whole check of one config text: YAML -> tree -> schema -> typed model
// -> semantic checks. Pure: the caller reads the file.
#include <optional>
#include <string>

#include "config/model.hpp"
#include "util/diagnostic.hpp"
#include "util/source.hpp"

namespace drydock::config {

struct Validation {
  SourceFile source;
  Diagnostics diagnostics;
  Config config; // as far as it could be read; trust it only without errors
};

class SchemaValidator;

// `schema` is the built-in one unless a test passes its own.
Validation validate_text(const std::string& path, std::string text);
Validation validate_text(const std::string& path, std::string text, const SchemaValidator& schema);

} // namespace drydock::config
