#include "docker/image_cache.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "docker/archive.hpp"
#include "docker/commands.hpp"
#include "docker/image_archive.hpp"
#include "os/glob.hpp"
#include "util/file.hpp"
#include "util/lines.hpp"

namespace fs = std::filesystem;

namespace drydock::docker {
namespace {

std::string resolve(const std::string& path, const std::string& base, const std::string& home)
{
  return (fs::path(base) / env::expand_home(path, home)).lexically_normal().string();
}

std::string relative_to(const std::string& path, const std::string& base)
{
  return fs::path(path).lexically_relative(base).string();
}

tl::expected<std::string, std::string> read_text(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(fmt::format("cannot read {}", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Inspected {
  std::string id;
  std::vector<std::string> tags;
};

// `docker image inspect` as inspect_images formats it: "ID [TAG...]",
// one line per image asked for, in the order asked.
std::vector<Inspected> parse_inspected(const std::string& output)
{
  std::vector<Inspected> found;
  for (const auto line : util::lines(output)) {
    std::istringstream words{std::string(line)};
    Inspected image;
    words >> image.id;
    for (std::string tag; words >> tag;) {
      image.tags.push_back(tag);
    }
    found.push_back(std::move(image));
  }
  return found;
}

// The image's id and tags, or nothing when the engine lacks it.
tl::expected<std::optional<Inspected>, std::string> inspect(const Client& client, const std::string& ref)
{
  const auto result = client.capture(inspect_images({ref}), ".", os::Stderr::discard);
  if (!result) {
    return tl::unexpected(result.error());
  }
  if (result->exit_code != 0) {
    return std::optional<Inspected>{};
  }
  auto found = parse_inspected(result->output);
  return std::optional(found.empty() ? Inspected{} : std::move(found.front()));
}

tl::expected<bool, std::string> load_archive(const Client& client, const std::string& archive,
                                             const std::string& reference, const Log& log)
{
  if (auto checked = read_archive(archive, nullptr); !checked) {
    log(fmt::format("archive {}: {}; removed it", archive, checked.error()));
    fs::remove(archive);
    return false;
  }
  ArchiveReader reader;
  if (auto opened = reader.open(archive); !opened) {
    return tl::unexpected(opened.error());
  }
  const auto loaded = client.stdin_from(load(), ".", [&reader](std::string& buffer) { return reader.next(buffer); });
  const auto present = inspect(client, reference);
  if (!present) {
    return tl::unexpected(present.error());
  }
  if (!loaded || *loaded != 0 || !*present) {
    log(fmt::format("archive {} did not load {} ({}); removed it", archive, reference,
                    !loaded ? loaded.error() : fmt::format("docker load exited with {}", *loaded)));
    fs::remove(archive);
    return false;
  }
  return true;
}

tl::expected<void, std::string> build_image(const Client& client, const ImageJob& job, const std::string& key,
                                            const std::string& reference)
{
  BuildSpec spec{reference, job.dockerfile, job.context, {}, {{"io.drydock.image", job.name}, {"io.drydock.key", key}}};
  for (const auto& [name, value] : job.build_args) {
    spec.build_arg_names.push_back(name);
  }
  const auto built = client.passthrough(build(spec), job.context);
  if (!built || *built != 0) {
    return tl::unexpected(!built ? built.error() : fmt::format("docker build exited with {}", *built));
  }
  return {};
}

} // namespace

ImageJob make_image_job(const pipeline::ImageBuild& spec, const std::string& base_dir, const env::Environment& env,
                        const std::string& run_tag)
{
  const std::string home = env.get("HOME").value_or("/root");
  ImageJob job;
  job.name = spec.name;
  job.repository = spec.repository;
  job.config_dir = base_dir;
  job.context = resolve(env::expand(spec.context, env), base_dir, home);
  job.dockerfile = resolve(env::expand(spec.dockerfile, env), base_dir, home);
  job.cache_dir = resolve(env::expand(spec.cache_dir, env), base_dir, home);
  job.input_patterns = spec.inputs;
  job.allow_outside_inputs = spec.allow_outside_inputs;
  env::Environment scope = env;
  job.build_args = env::apply_expanded(scope, spec.build_args);
  job.keep = spec.keep;
  job.run_tag = run_tag;
  return job;
}

std::string run_reference(const std::string& repository, const std::string& run_tag)
{
  return repository + ":" + run_tag;
}

std::string manifest_path(const ImageJob& job) { return (fs::path(job.cache_dir) / (job.name + ".inputs")).string(); }

std::optional<ImageKey> last_key(const ImageJob& job)
{
  const auto text = read_text(manifest_path(job));
  auto parsed = text ? parse_manifest(*text) : tl::unexpected(text.error());
  return parsed ? std::optional(std::move(*parsed)) : std::nullopt;
}

tl::expected<bool, std::string> engine_has_image(const Client& client, const std::string& ref)
{
  const auto found = inspect(client, ref);
  if (!found) {
    return tl::unexpected(found.error());
  }
  return found->has_value();
}

std::string_view source_name(ImageSource source)
{
  switch (source) {
  case ImageSource::present: return "present";
  case ImageSource::loaded: return "loaded";
  case ImageSource::built: return "built";
  }
  return "?";
}


namespace {

// Everything a key covers but the base images' ids, which need the engine.
struct ContentInputs {
  std::vector<KeyInput> inputs;
  std::vector<std::string> bases; // the Dockerfile's FROM images
};

std::string_view file_kind(fs::file_type type)
{
  switch (type) {
  case fs::file_type::directory: return "a directory";
  case fs::file_type::fifo: return "a fifo";
  case fs::file_type::socket: return "a socket";
  case fs::file_type::character: return "a character device";
  case fs::file_type::block: return "a block device";
  case fs::file_type::not_found: return "a dangling symlink";
  default: return "not a regular file";
  }
}

bool is_inside(const fs::path& path, const fs::path& folder)
{
  const auto rest = path.lexically_relative(folder);
  return !rest.empty() && *rest.begin() != "..";
}

// Whether a matched path is hashed: a regular file is, a directory a
// wildcard matched is passed over (its files are matched on their own).
// Anything else is refused before it is opened, so a device or a fifo can
// never hang the run; so is a file that resolves outside the config's
// folder (through a symlink) unless the image allows outside inputs.
tl::expected<bool, std::string> check_input(const ImageJob& job, const std::string& pattern, const std::string& path)
{
  std::error_code ec;
  const auto type = fs::status(path, ec).type(); // follows symlinks, opens nothing
  if (type == fs::file_type::directory && pattern.find_first_of("*?[") != std::string::npos) {
    return false;
  }
  if (type != fs::file_type::regular) {
    return tl::unexpected(fmt::format("the input '{}' matches {}, which is {}; inputs must be regular files", pattern,
                                      path, file_kind(type)));
  }
  if (job.allow_outside_inputs) {
    return true;
  }
  std::error_code folder_ec;
  const auto real = fs::canonical(path, ec);
  const auto folder = fs::canonical(job.config_dir, folder_ec);
  if (ec || folder_ec || !is_inside(real, folder)) {
    return tl::unexpected(fmt::format("the input '{}' matches {}, which resolves to {}, outside the config's folder "
                                      "{}; set 'allow_outside_inputs: true' on the image to hash it",
                                      pattern, path, real.string(), folder.string()));
  }
  return true;
}

tl::expected<ContentInputs, std::string> content_inputs(const ImageJob& job)
{
  ContentInputs content;
  auto& inputs = content.inputs;
  const auto dockerfile = read_text(job.dockerfile);
  if (!dockerfile) {
    return tl::unexpected(dockerfile.error());
  }
  inputs.push_back({"dockerfile", relative_to(job.dockerfile, job.config_dir), hash_text(*dockerfile)});
  const std::string ignore = (fs::path(job.context) / ".dockerignore").string();
  if (fs::exists(ignore)) {
    inputs.push_back({"dockerignore", relative_to(ignore, job.config_dir), hash_file(ignore).value_or("unreadable")});
  }
  for (const auto& pattern : job.input_patterns) {
    const auto files = os::expand_glob(job.config_dir, pattern);
    if (files.empty()) {
      return tl::unexpected(fmt::format("the input '{}' matches no file under {}", pattern, job.config_dir));
    }
    for (const auto& file : files) {
      const std::string path = (fs::path(job.config_dir) / file).string();
      const auto usable = check_input(job, pattern, path);
      if (!usable) {
        return tl::unexpected(usable.error());
      }
      if (!*usable) {
        continue;
      }
      const auto hash = hash_file(path);
      if (!hash) {
        return tl::unexpected(hash.error());
      }
      inputs.push_back({"file", file, *hash});
    }
  }
  std::map<std::string, std::string> args(job.build_args.begin(), job.build_args.end());
  for (const auto& [name, value] : job.build_args) {
    inputs.push_back({"build-arg", name, hash_text(value)}); // the value may be secret: only its hash
  }
  content.bases = base_images(*dockerfile, args);
  return content;
}

tl::expected<ImageKey, std::string> key_with_bases(ContentInputs content, const BaseIdLookup& base_id)
{
  for (const auto& base : content.bases) {
    const auto id = base_id(base);
    if (!id) {
      return tl::unexpected(id.error());
    }
    content.inputs.push_back({"base-image", base, *id});
  }
  // Several files may match more than one pattern.
  auto& inputs = content.inputs;
  std::sort(inputs.begin(), inputs.end(),
            [](const KeyInput& a, const KeyInput& b) { return std::tie(a.kind, a.name) < std::tie(b.kind, b.name); });
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  return make_key(std::move(inputs));
}

// The base image lookup that asks the engine.
BaseIdLookup engine_base_id(const Client& client)
{
  return [&client](const std::string& ref) -> tl::expected<std::string, std::string> {
    const auto found = inspect(client, ref);
    if (!found) {
      return tl::unexpected(found.error());
    }
    return *found ? (*found)->id : std::string("absent");
  };
}

} // namespace

tl::expected<ImageKey, std::string> compute_key(const ImageJob& job, const BaseIdLookup& base_id)
{
  auto content = content_inputs(job);
  if (!content) {
    return tl::unexpected(content.error());
  }
  return key_with_bases(std::move(*content), base_id);
}

tl::expected<ImageKey, std::string> compute_key(const Client& client, const ImageJob& job)
{
  return compute_key(job, engine_base_id(client));
}

namespace {

// The warm path in one engine call: assume the base images kept the ids
// the last key recorded, and ask for that key's image and the bases at
// once. Nothing when any of it does not hold (then the full path runs).
std::optional<std::pair<ImageKey, Inspected>> present_as_last_time(const Client& client, const ImageJob& job,
                                                                   const ContentInputs& content, const ImageKey& last)
{
  std::map<std::string, std::string> recorded;
  for (const auto& input : last.inputs) {
    if (input.kind == "base-image") {
      recorded[input.name] = input.hash;
    }
  }
  std::vector<std::string> bases;
  auto key = key_with_bases(content, [&](const std::string& ref) -> tl::expected<std::string, std::string> {
    const auto found = recorded.find(ref);
    if (found == recorded.end()) {
      return tl::unexpected(std::string("not recorded"));
    }
    bases.push_back(ref);
    return found->second;
  });
  if (!key || key->key != last.key) {
    return std::nullopt;
  }
  std::vector<std::string> refs{job.repository + ":" + key->key};
  refs.insert(refs.end(), bases.begin(), bases.end());
  const auto result = client.capture(inspect_images(refs), ".", os::Stderr::discard);
  if (!result || result->exit_code != 0) {
    return std::nullopt;
  }
  auto found = parse_inspected(result->output);
  if (found.size() != refs.size()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < bases.size(); ++i) {
    if (found[i + 1].id != recorded[bases[i]]) {
      return std::nullopt; // a base image moved: the key is not this one
    }
  }
  return std::pair{std::move(*key), std::move(found[0])};
}

// The key, and whether the engine has its image: at once when the bases
// kept the ids the last key recorded, else with the bases looked up.
struct Found {
  ImageKey key;
  std::optional<Inspected> present;
};

tl::expected<Found, std::string> find_key(const Client& client, const ImageJob& job, const ContentInputs& content,
                                          const std::optional<ImageKey>& last)
{
  if (auto fast = last ? present_as_last_time(client, job, content, *last) : std::nullopt) {
    return Found{std::move(fast->first), std::move(fast->second)};
  }
  auto key = key_with_bases(content, engine_base_id(client));
  if (!key) {
    return tl::unexpected(key.error());
  }
  const auto present = inspect(client, job.repository + ":" + key->key);
  if (!present) {
    return tl::unexpected(present.error());
  }
  return Found{std::move(*key), *present};
}

// Loads the archive when the engine lacks the image, or builds it.
tl::expected<ImageSource, std::string> make_present(const Client& client, const ImageJob& job, const Found& found,
                                                    const std::string& archive, const Log& log)
{
  const std::string reference = job.repository + ":" + found.key.key;
  std::error_code ec;
  if (found.present) {
    return ImageSource::present;
  }
  std::string why_build = "no image and no archive for this key";
  if (fs::exists(archive, ec)) {
    log(fmt::format("loading {} from {}", reference, archive));
    const auto loaded = load_archive(client, archive, reference, log);
    if (!loaded) {
      return tl::unexpected(loaded.error());
    }
    if (*loaded) {
      return ImageSource::loaded;
    }
    why_build = "the archive could not be used";
  }
  log(fmt::format("building {} ({})", reference, why_build));
  if (auto built = build_image(client, job, found.key.key, reference); !built) {
    return tl::unexpected(built.error());
  }
  return ImageSource::built;
}

tl::expected<void, std::string> tag_for_run(const Client& client, const ImageJob& job, const Found& found)
{
  const std::string run_ref = job.repository + ":" + job.run_tag;
  const auto& tags = found.present ? found.present->tags : std::vector<std::string>{};
  if (std::find(tags.begin(), tags.end(), run_ref) != tags.end()) {
    return {};
  }
  const auto done = client.capture(tag(job.repository + ":" + found.key.key, run_ref), ".", os::Stderr::inherit);
  if (!done || done->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot tag {}:{} as {}", job.repository, found.key.key, run_ref));
  }
  return {};
}

// The archive step writes what the image step asks for; a request that
// cannot be left costs the next fresh machine a build, not this run.
bool ask_for_archive(const ImageJob& job, const EnsureResult& result, const std::string& key, bool archive_on_disk,
                     const Log& log)
{
  if (archive_on_disk || result.source == ImageSource::loaded) {
    return false;
  }
  if (result.source == ImageSource::present) {
    log(fmt::format("{} is present but its archive is missing; it is written beside the steps that use it",
                    result.reference));
  }
  if (auto asked = request_archive(job, key); !asked) {
    log(fmt::format("warning: the archive of {} will not be written: {}", result.reference, asked.error()));
    return false;
  }
  return true;
}

} // namespace

tl::expected<EnsureResult, std::string> ensure_image(const Client& client, const ImageJob& job, const Log& log)
{
  // One run at a time decides and makes an image: a second cold run of the
  // same image waits, then finds it present instead of building it again.
  const CacheLock lock(image_lock_path(job), CacheLock::Wait::until_free,
                       [&] { log(fmt::format("waiting for another run that is making {}", job.name)); });
  remove_stale_temporaries(job.cache_dir, job.name);
  remove_stale_requests(job);
  const auto content = content_inputs(job);
  const auto last = last_key(job);
  const auto found = content ? find_key(client, job, *content, last) : tl::unexpected(content.error());
  if (!found) {
    return tl::unexpected(found.error());
  }
  const std::string archive = archive_path(job.cache_dir, job.name, found->key.key);
  std::error_code ec;
  const bool archive_on_disk = fs::exists(archive, ec);
  if (archive_on_disk) {
    // Pruning keeps the newest archives: make that the most recently used.
    fs::last_write_time(archive, fs::file_time_type::clock::now(), ec);
  }
  EnsureResult result;
  result.reference = job.repository + ":" + found->key.key;
  const auto source = make_present(client, job, *found, archive, log);
  if (!source) {
    return tl::unexpected(source.error());
  }
  result.source = *source;
  if (auto tagged = tag_for_run(client, job, *found); !tagged) {
    return tl::unexpected(tagged.error());
  }
  if (!last || last->key != found->key.key) {
    if (auto written = util::write_file_atomically(manifest_path(job), manifest_text(found->key)); !written) {
      return tl::unexpected(written.error());
    }
  }
  result.archive_requested = ask_for_archive(job, result, found->key.key,
                                             archive_on_disk && *source != ImageSource::built, log);
  log(fmt::format("{} {} (tagged {}:{})", result.reference, source_name(result.source), job.repository, job.run_tag));
  return result;
}

} // namespace drydock::docker
