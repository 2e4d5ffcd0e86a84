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

Validation validate_text(std::string path, std::string text);

// Where the text stops being UTF-8 (or holds a NUL), if anywhere.
std::optional<std::size_t> find_non_text_byte(std::string_view text);

} // namespace drydock::config
