#include "docker/kept_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "docker/archive.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::docker {
namespace {

constexpr int kNothingThere = 3; // the scripts' exit when no path exists
constexpr int kCompression = 3;  // zstd's default: fast, and caches are read more than written

std::string exit_words(const tl::expected<int, std::string>& status, std::string_view what)
{
  return !status ? status.error() : fmt::format("{} exited with {}", what, *status);
}

// Files as find printed them ("./a/b", NUL after each), as "a/b".
std::vector<std::string> split_files(const std::string& text)
{
  std::vector<std::string> files;
  std::size_t begin = 0;
  for (std::size_t end = text.find('\0'); end != std::string::npos; end = text.find('\0', begin)) {
    std::string file = text.substr(begin, end - begin);
    while (file.starts_with("./")) {
      file.erase(0, 2);
    }
    if (!file.empty()) {
      files.push_back(std::move(file));
    }
    begin = end + 1;
  }
  return files;
}

std::string join_files(const std::vector<std::string>& files)
{
  std::string text;
  for (const auto& file : files) {
    text += file;
    text += '\0';
  }
  return text;
}

// A stored stream unpacked by `argv`.
tl::expected<void, std::string> unpack(const Client& client, const Argv& argv, const std::string& archive)
{
  ArchiveReader reader;
  if (auto opened = reader.open(archive); !opened) {
    return tl::unexpected(opened.error());
  }
  const auto status = client.stdin_from(argv, ".", [&reader](std::string& buffer) { return reader.next(buffer); });
  if (!status || *status != 0) {
    return tl::unexpected(exit_words(status, "tar"));
  }
  return {};
}

} // namespace

tl::expected<std::string, std::string> checksum_of(const Client& client, const FilesPlace& place,
                                                   const std::string& file)
{
  Checksum sum;
  const auto status = client.stdout_to(read_file_in(place.container, place.base, file), ".",
                                       [&sum](std::string_view chunk) -> tl::expected<void, std::string> {
                                         sum.add(chunk);
                                         return {};
                                       });
  if (!status || *status != 0) {
    return tl::unexpected(!status ? status.error() : std::string("it cannot be read"));
  }
  return sum.base64();
}

tl::expected<SavedCache, std::string> save_cache(const Client& client, const FilesPlace& place,
                                                 const std::vector<std::string>& paths, const std::string& dir,
                                                 const std::string& key)
{
  ArchiveWriter writer; // its temporary file goes, unless committed
  if (auto opened = writer.open(cache_archive_path(dir, key), kCompression); !opened) {
    return tl::unexpected(opened.error());
  }
  const auto status = client.stdout_to(tar_cache_paths(place.container, place.base, paths), ".",
                                       [&writer](std::string_view chunk) { return writer.write(chunk); });
  if (status && *status == kNothingThere) {
    return SavedCache{};
  }
  if (!status || *status != 0) {
    return tl::unexpected(exit_words(status, "tar"));
  }
  if (auto written = write_cache_key(dir, key); !written) {
    return tl::unexpected(written.error());
  }
  if (auto committed = writer.commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return SavedCache{true, writer.bytes_written()};
}

tl::expected<void, std::string> restore_cache(const Client& client, const FilesPlace& place, const FoundCache& found)
{
  return unpack(client, untar_cache(place.container), found.archive);
}

tl::expected<std::vector<std::string>, std::string> persist_layer(const Client& client, const FilesPlace& place,
                                                                  const std::string& root,
                                                                  const std::vector<std::string>& paths,
                                                                  const std::string& dir)
{
  const auto listed = client.capture(tar_workspace_paths(place.container, place.base, root, paths, true), ".",
                                     os::Stderr::inherit);
  if (listed && listed->exit_code == kNothingThere) {
    return std::vector<std::string>{};
  }
  if (!listed || listed->exit_code != 0) {
    return tl::unexpected(
        !listed ? listed.error()
                : fmt::format("cannot read {} under {} (exit {})", fmt::join(paths, ", "), root, listed->exit_code));
  }
  const auto files = split_files(listed->output);
  const std::size_t number = layers_in(dir).size() + 1;
  const std::string stem = (fs::path(dir) / fmt::format("{}", number)).string();
  ArchiveWriter writer;
  if (auto opened = writer.open(stem + ".tar.zst", kCompression); !opened) {
    return tl::unexpected(opened.error());
  }
  const auto status = client.stdout_to(tar_workspace_paths(place.container, place.base, root, paths, false), ".",
                                       [&writer](std::string_view chunk) { return writer.write(chunk); });
  if (!status || *status != 0) {
    return tl::unexpected(exit_words(status, "tar"));
  }
  if (auto listed_ok = util::write_file_atomically(stem + ".list", join_files(files)); !listed_ok) {
    return tl::unexpected(listed_ok.error());
  }
  if (auto committed = writer.commit(); !committed) {
    return tl::unexpected(committed.error());
  }
  return files;
}

std::vector<LayerFiles> layers_in(const std::string& dir)
{
  std::vector<std::pair<int, LayerFiles>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const int number = std::atoi(name.c_str());
    if (number <= 0 || name != fmt::format("{}.tar.zst", number)) {
      continue;
    }
    std::ifstream in(fs::path(dir) / fmt::format("{}.list", number), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    found.push_back({number, {entry.path().string(), split_files(text.str())}});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LayerFiles> layers;
  for (auto& [number, layer] : found) {
    layers.push_back(std::move(layer));
  }
  return layers;
}

std::optional<std::string> workspace_conflict(const std::vector<pipeline::WorkspaceLayer>& layers,
                                              const std::vector<std::vector<LayerFiles>>& jobs)
{
  std::map<std::string, std::vector<std::size_t>> writers; // file: the jobs that persisted it
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    for (const auto& layer : jobs[i]) {
      for (const auto& file : layer.files) {
        auto& list = writers[file];
        if (list.empty() || list.back() != i) {
          list.push_back(i);
        }
      }
    }
  }
  const auto ordered = [&](std::size_t a, std::size_t b) {
    const auto& after = layers[b].after;
    return std::find(after.begin(), after.end(), layers[a].job) != after.end();
  };
  for (const auto& [file, list] : writers) {
    for (std::size_t x = 0; x < list.size(); ++x) {
      for (std::size_t y = x + 1; y < list.size(); ++y) {
        if (!ordered(list[x], list[y]) && !ordered(list[y], list[x])) {
          return fmt::format("{} was persisted by '{}' and by '{}', and neither requires the other", file,
                             layers[list[x]].job, layers[list[y]].job);
        }
      }
    }
  }
  return std::nullopt;
}

tl::expected<void, std::string> unpack_layer(const Client& client, const FilesPlace& place, const std::string& at,
                                             const std::string& archive)
{
  return unpack(client, untar_workspace(place.container, place.base, at), archive);
}

} // namespace drydock::docker
