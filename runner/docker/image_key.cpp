#include "docker/image_key.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "env/environment.hpp"
#include "util/lines.hpp"

namespace drydock::docker {
namespace {

std::string hex(const XXH128_hash_t& hash) { return fmt::format("{:016x}{:016x}", hash.high64, hash.low64); }

std::string lower(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string> words(std::string_view line)
{
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(" \t\r", at);
    if (start == std::string_view::npos) {
      break;
    }
    const auto end = std::min(line.find_first_of(" \t\r", start), line.size());
    out.emplace_back(line.substr(start, end - start));
    at = end;
  }
  return out;
}

// Joins lines continued with a trailing backslash; drops comments.
std::vector<std::string> instructions(std::string_view text)
{
  std::vector<std::string> out;
  std::string current;
  const auto take = [&out, &current](std::string_view piece) {
    std::string line(piece);
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == '#') {
      return;
    }
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.pop_back();
    }
    if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      current += line + " ";
      return;
    }
    current += line;
    if (current.find_first_not_of(" \t") != std::string::npos) {
      out.push_back(current);
    }
    current.clear();
  };
  for (const auto line : util::lines(text)) {
    take(line);
  }
  // The empty line after a final newline ends an instruction continued
  // onto it; without the newline, a continued last line is dropped. Keys
  // are hashed from these instructions, so this stays as it always was.
  if (text.ends_with('\n')) {
    take("");
  }
  return out;
}

} // namespace

std::string hash_text(std::string_view data) { return hex(XXH3_128bits(data.data(), data.size())); }

tl::expected<std::string, std::string> hash_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_128bits_reset(state);
  std::string buffer(1 << 16, '\0');
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    XXH3_128bits_update(state, buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  const bool failed = in.bad();
  const auto hash = XXH3_128bits_digest(state);
  XXH3_freeState(state);
  if (failed) {
    return tl::unexpected(fmt::format("cannot read {}", path));
  }
  return hex(hash);
}

std::vector<std::string> base_images(std::string_view dockerfile, const std::map<std::string, std::string>& build_args)
{
  env::Environment args;
  std::set<std::string> stages{"scratch"};
  std::vector<std::string> images;
  bool seen_from = false;
  for (const auto& instruction : instructions(dockerfile)) {
    const auto parts = words(instruction);
    const std::string verb = lower(parts.at(0));
    if (verb == "arg" && !seen_from) {
      for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto equals = parts[i].find('=');
        const std::string name = parts[i].substr(0, equals);
        const auto given = build_args.find(name);
        if (given != build_args.end()) {
          args.set(name, given->second);
        } else if (equals != std::string::npos) {
          args.set(name, parts[i].substr(equals + 1));
        }
      }
    } else if (verb == "from") {
      seen_from = true;
      std::size_t i = 1;
      while (i < parts.size() && parts[i].starts_with("--")) {
        ++i; // --platform=...
      }
      if (i >= parts.size()) {
        continue;
      }
      const std::string image = env::expand(parts[i], args);
      if (!stages.contains(lower(image)) && std::find(images.begin(), images.end(), image) == images.end()) {
        images.push_back(image);
      }
      if (i + 2 < parts.size() && lower(parts[i + 1]) == "as") {
        stages.insert(lower(parts[i + 2]));
      }
    }
  }
  return images;
}

ImageKey make_key(std::vector<KeyInput> inputs)
{
  std::sort(inputs.begin(), inputs.end(),
            [](const KeyInput& a, const KeyInput& b) { return std::tie(a.kind, a.name) < std::tie(b.kind, b.name); });
  std::string text;
  for (const auto& input : inputs) {
    text += fmt::format("{} {} {}\n", input.kind, input.name, input.hash);
  }
  return {hash_text(text), std::move(inputs)};
}

std::string manifest_text(const ImageKey& key)
{
  std::string text = "key " + key.key + "\n";
  for (const auto& input : key.inputs) {
    text += fmt::format("{}\t{}\t{}\n", input.kind, input.name, input.hash);
  }
  return text;
}

tl::expected<ImageKey, std::string> parse_manifest(std::string_view text)
{
  ImageKey key;
  int line_number = 0;
  for (const auto line : util::lines(text)) {
    ++line_number;
    if (line_number == 1) {
      if (!line.starts_with("key ")) {
        return tl::unexpected(std::string("line 1: expected 'key KEY'"));
      }
      key.key = std::string(line.substr(4));
      continue;
    }
    const auto tab1 = line.find('\t');
    const auto tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos) {
      return tl::unexpected(fmt::format("line {}: expected KIND<tab>NAME<tab>HASH", line_number));
    }
    key.inputs.push_back({std::string(line.substr(0, tab1)), std::string(line.substr(tab1 + 1, tab2 - tab1 - 1)),
                          std::string(line.substr(tab2 + 1))});
  }
  if (key.key.empty()) {
    return tl::unexpected(std::string("empty manifest"));
  }
  return key;
}

std::vector<InputChange> compare_inputs(const ImageKey& previous, const ImageKey& current)
{
  std::vector<InputChange> changes;
  const auto find = [](const ImageKey& in, const KeyInput& input) {
    return std::find_if(in.inputs.begin(), in.inputs.end(),
                        [&](const KeyInput& other) { return other.kind == input.kind && other.name == input.name; });
  };
  for (const auto& input : current.inputs) {
    const auto before = find(previous, input);
    if (before == previous.inputs.end()) {
      changes.push_back({InputChange::Kind::added, input, ""});
    } else if (before->hash != input.hash) {
      changes.push_back({InputChange::Kind::changed, input, before->hash});
    } else {
      changes.push_back({InputChange::Kind::same, input, ""});
    }
  }
  for (const auto& input : previous.inputs) {
    if (find(current, input) == current.inputs.end()) {
      changes.push_back({InputChange::Kind::removed, input, ""});
    }
  }
  return changes;
}

} // namespace drydock::docker
