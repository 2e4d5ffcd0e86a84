#include "config/names.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "config/walk.hpp"
#include "publish/tags.hpp"
#include "util/regex.hpp"

namespace drydock::config {
namespace {

constexpr std::string_view kSimpleRule = "letters, digits, '_', '.' and '-', starting with a letter or digit; "
                                         "at most 63 characters";
constexpr std::string_view kStepIdRule = "letters, digits, '_', '.', ':', '/' and '-', starting with a letter or "
                                         "digit; at most 128 characters";
constexpr std::string_view kRepositoryRule = "lowercase letters and digits, separated by '.', '_', '__' or '-', in "
                                             "components joined by '/', after an optional registry host[:port]; "
                                             "no tag; at most 255 characters";

// The grammars are fixed, so they compile; RE2 keeps a long name linear.
const util::CompiledRegex& simple_name_regex()
{
  static const auto regex = util::compile_regex("[A-Za-z0-9][A-Za-z0-9_.-]*").value();
  return regex;
}

const util::CompiledRegex& step_id_regex()
{
  static const auto regex = util::compile_regex("[A-Za-z0-9][A-Za-z0-9_.:/-]*").value();
  return regex;
}

// A name as a message shows it: control characters escaped (a newline in a
// message would forge a line of output), cut short when it is long.
std::string shown(std::string_view name)
{
  std::string out;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return util::shown_pattern(out);
}

// The caret's width: the name's, unless it spans lines.
int marked_length(std::string_view name)
{
  return name.find_first_of("\n\r") == std::string_view::npos ? std::max(count_chars(name), 1) : 1;
}

void check_name(Diagnostics& diags, std::string_view name, Pos pos, std::string_view what)
{
  if (!valid_simple_name(name)) {
    diags.error(pos, fmt::format("'{}' is not a valid {} ({})", shown(name), what, kSimpleRule), marked_length(name));
  }
}

void check_step_ids(const Config& config, Diagnostics& diags)
{
  for_each_command(config, [&](const Command& command, const std::string&) {
    const auto& id = command.drydock.id;
    if (id && !valid_step_id(id->value)) {
      diags.error(id->pos, fmt::format("'{}' is not a valid step id ({})", shown(id->value), kStepIdRule),
                  marked_length(id->value));
    }
  });
}

void check_inputs(const ImageSpec& image, Diagnostics& diags)
{
  if (image.allow_outside_inputs) {
    return;
  }
  for (const auto& input : image.inputs) {
    if (!input_leaves_folder(input.value)) {
      continue;
    }
    const std::string_view how = input.value.starts_with('/') ? "is an absolute path"
                                                              : "leaves the config's folder through '..'";
    diags.error(input.pos,
                fmt::format("the input '{}' {}; inputs are files in the repository, named relative to the "
                            "config's folder, unless the image sets 'allow_outside_inputs: true'",
                            shown(input.value), how),
                marked_length(input.value));
  }
}

void check_images(const Extension& ext, Diagnostics& diags)
{
  for (const auto& image : ext.images) {
    check_name(diags, image.name, image.pos, "image name");
    const Text& repository = image.repository;
    if (repository.pos.known() && !valid_repository(repository.value)) {
      diags.error(repository.pos,
                  fmt::format("'{}' is not a valid repository name ({})", shown(repository.value), kRepositoryRule),
                  marked_length(repository.value));
    }
    check_inputs(image, diags);
  }
}

} // namespace

bool valid_simple_name(std::string_view name)
{
  return name.size() <= kMaxNameLength && simple_name_regex().full_match(name);
}

bool valid_step_id(std::string_view id) { return id.size() <= kMaxStepIdLength && step_id_regex().full_match(id); }

bool valid_repository(std::string_view repository)
{
  return repository.size() <= kMaxRepositoryLength && publish::valid_name(std::string(repository));
}

bool input_leaves_folder(std::string_view pattern)
{
  if (pattern.starts_with('/')) {
    return true;
  }
  const auto normal = std::filesystem::path(pattern).lexically_normal();
  return !normal.empty() && *normal.begin() == "..";
}

void check_names(const Config& config, Diagnostics& diags)
{
  const Extension& ext = config.drydock;
  check_images(ext, diags);
  for (const auto& service : ext.services) {
    check_name(diags, service.name, service.pos, "service name");
    if (service.alias) {
      check_name(diags, service.alias->value, service.alias->pos, "network alias");
    }
  }
  if (ext.database && ext.database->alias_pos.known()) {
    check_name(diags, ext.database->alias, ext.database->alias_pos, "database alias");
  }
  for (const auto& publish : ext.publish) {
    check_name(diags, publish.name, publish.pos, "publish entry name");
  }
  check_step_ids(config, diags);
}

} // namespace drydock::config
