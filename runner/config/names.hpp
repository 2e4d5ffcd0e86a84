#pragma once
// Names and paths a config hands to docker and to the file system, checked
// at validate time with their position, so that nothing docker would refuse
// (or a file name could misuse) is found only at run time:
// - drydock.images, drydock.services and drydock.publish keys, service
//   aliases and the database alias: letters, digits, '_', '.' and '-',
//   starting with a letter or digit, at most 63 characters (a container
//   name, a DNS label's length, and a safe file name: never '.', '..' or
//   holding a '/');
// - an image's repository: docker's reference name grammar without a tag;
// - step ids: letters, digits, '_', '.', ':', '/' and '-', starting with a
//   letter or digit, at most 128 characters (no space or control character
//   that could forge an output or summary line);
// - an image's inputs: relative to the config's folder and not leaving it
//   through '..', unless the image sets `allow_outside_inputs: true`.
#include <string_view>

#include "config/model.hpp"
#include "util/diagnostic.hpp"

namespace drydock::config {

inline constexpr std::size_t kMaxNameLength = 63;
inline constexpr std::size_t kMaxStepIdLength = 128;
inline constexpr std::size_t kMaxRepositoryLength = 255; // docker's own limit

bool valid_simple_name(std::string_view name);
bool valid_step_id(std::string_view id);
bool valid_repository(std::string_view repository);

// Whether an input glob is absolute or leaves its base folder through '..'.
bool input_leaves_folder(std::string_view pattern);

void check_names(const Config& config, Diagnostics& diags);

} // namespace drydock::config
