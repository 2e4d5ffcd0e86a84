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

// docker save into the archive (temporary file, fsync, rename), then prune.
tl::expected<std::uint64_t, std::string> save_archive(const Client& client, const ImageJob& job, const std::string& key,
                                                      const std::string& reference, const Log& log)
{
  const std::string archive = archive_path(job.cache_dir, job.name, key);
  ArchiveWriter writer;
  if (auto opened = writer.open(archive, job.compression_level); !opened) {
    return tl::unexpected(opened.error());
  }
  const auto saved = client.stdout_to(save(reference), ".",
                                      [&writer](std::string_view chunk) { return writer.write(chunk); });
  if (!saved || *saved != 0) {
    return tl::unexpected(!saved ? saved.error() : fmt::format("docker save exited with {}", *saved));
  }
  if (auto committed = writer.commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  for (const auto& removed : prune_archives(job.cache_dir, job.name, key, job.keep)) {
    log(fmt::format("pruned {}", removed));
  }
  return writer.bytes_written();
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

} // namespace

// One run at a time decides and makes an image: a second cold run of the
// same image waits, then finds it present instead of building it again.
class ImageLock {
public:
  ImageLock(const ImageJob& job, const Log& log)
  {
    std::error_code ec;
    fs::create_directories(job.cache_dir, ec);
    const auto path = (fs::path(job.cache_dir) / (job.name + ".lock")).string();
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd >= 0 && ::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
      log(fmt::format("waiting for another run that is making {}", job.name));
      ::flock(m_fd, LOCK_EX);
    }
  }
  ~ImageLock()
  {
    if (m_fd >= 0) {
      ::close(m_fd); // releases the lock
    }
  }
  ImageLock(const ImageLock&) = delete;
  ImageLock& operator=(const ImageLock&) = delete;

private:
  int m_fd = -1;
};

// A failed archive write costs the next fresh machine a build, not this
// run: the image is in the engine, so say so and go on.
void write_archive(const Client& client, const ImageJob& job, const std::string& key, const std::string& reference,
                   const Log& log)
{
  const std::string archive = archive_path(job.cache_dir, job.name, key);
  const auto bytes = save_archive(client, job, key, reference, log);
  if (!bytes) {
    log(fmt::format("warning: could not write the archive {}: {}; the image is in the engine, so the build goes on",
                    archive, bytes.error()));
    return;
  }
  log(fmt::format("wrote {} ({:.1f} MiB)", archive, static_cast<double>(*bytes) / (1024.0 * 1024.0)));
}

tl::expected<EnsureResult, std::string> ensure_image(const Client& client, const ImageJob& job, const Log& log)
{
  const ImageLock lock(job, log);
  remove_stale_temporaries(job.cache_dir, job.name);
  auto content = content_inputs(job);
  if (!content) {
    return tl::unexpected(content.error());
  }
  const auto last = last_key(job);
  auto fast = last ? present_as_last_time(client, job, *content, *last) : std::nullopt;
  auto key = fast ? tl::expected<ImageKey, std::string>(fast->first) : key_with_bases(*content, engine_base_id(client));
  if (!key) {
    return tl::unexpected(key.error());
  }
  EnsureResult result;
  result.reference = job.repository + ":" + key->key;
  const auto present = fast ? tl::expected<std::optional<Inspected>, std::string>(fast->second)
                            : inspect(client, result.reference);
  if (!present) {
    return tl::unexpected(present.error());
  }
  const std::string archive = archive_path(job.cache_dir, job.name, key->key);
  std::string why_build = "no image and no archive for this key";
  std::error_code ec;
  const bool archive_on_disk = fs::exists(archive, ec);
  if (archive_on_disk) {
    // Pruning keeps the newest archives: make that the most recently used.
    fs::last_write_time(archive, fs::file_time_type::clock::now(), ec);
  }
  if (*present) {
    result.source = ImageSource::present;
  } else if (archive_on_disk) {
    log(fmt::format("loading {} from {}", result.reference, archive));
    const auto loaded = load_archive(client, archive, result.reference, log);
    if (!loaded) {
      return tl::unexpected(loaded.error());
    }
    result.source = *loaded ? ImageSource::loaded : ImageSource::built;
    why_build = "the archive could not be used";
  } else {
    result.source = ImageSource::built;
  }
  if (result.source == ImageSource::built) {
    log(fmt::format("building {} ({})", result.reference, why_build));
    if (auto built = build_image(client, job, key->key, result.reference); !built) {
      return tl::unexpected(built.error());
    }
    write_archive(client, job, key->key, result.reference, log);
  } else if (result.source == ImageSource::present && !archive_on_disk) {
    log(fmt::format("{} is present but its archive is missing; writing it", result.reference));
    write_archive(client, job, key->key, result.reference, log);
  }
  const std::string run_ref = job.repository + ":" + job.run_tag;
  const bool tagged = *present
                      && std::find((*present)->tags.begin(), (*present)->tags.end(), run_ref) != (*present)->tags.end();
  if (!tagged) {
    const auto done = client.capture(tag(result.reference, run_ref), ".", os::Stderr::inherit);
    if (!done || done->exit_code != 0) {
      return tl::unexpected(fmt::format("cannot tag {} as {}", result.reference, run_ref));
    }
  }
  if (!last || last->key != key->key) {
    if (auto written = util::write_file_atomically(manifest_path(job), manifest_text(*key)); !written) {
      return tl::unexpected(written.error());
    }
  }
  log(fmt::format("{} {} (tagged {})", result.reference, source_name(result.source), run_ref));
  return result;
}

} // namespace drydock::docker
