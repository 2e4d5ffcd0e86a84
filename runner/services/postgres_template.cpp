#include "services/postgres_template.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "os/process.hpp"
#include "util/stable_hash.hpp"

namespace fs = std::filesystem;

namespace drydock::services {
namespace {

// Bumped when what a template holds changes, so older ones are not used.
constexpr int kTemplateFormat = 2; // 2: roles and databases made in the template

// A builder killed between its mkdtemp and its rename leaves these behind.
constexpr auto kStaleAfter = std::chrono::hours(1);

std::string read_text(const fs::path& file)
{
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trimmed(std::string text)
{
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.pop_back();
  }
  return text;
}

tl::expected<std::string, std::string> make_hidden_dir(const fs::path& root, const std::string& prefix)
{
  std::string pattern = (root / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return tl::unexpected(fmt::format("cannot create a directory in {}: {}", root.string(), std::strerror(errno)));
  }
  return pattern;
}

// Writes `text` to `file` whole or not at all (a temporary file renamed);
// a cache entry, so a failure only means asking again next time.
void remember(const fs::path& file, const std::string& text)
{
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path written = fmt::format("{}.tmp-{}", file.string(), ::getpid());
  if (!(std::ofstream(written) << text) || ::rename(written.c_str(), file.c_str()) != 0) {
    fs::remove(written, ec);
  }
}

void remove_stale_builds(const fs::path& root)
{
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    const bool hidden = name.starts_with(".tmp-") || name.starts_with(".trash-");
    std::error_code time_ec;
    const auto written = fs::last_write_time(entry.path(), time_ec);
    if (hidden && !time_ec && now - written > kStaleAfter) {
      fs::remove_all(entry.path(), time_ec);
    }
  }
}

// Moves a template that fails its check out of the way, then removes it:
// a run copying from it at that moment reads a whole (bad) tree, never a
// missing one.
void discard_bad(const fs::path& target, const fs::path& root, const std::string& key)
{
  const auto trash = make_hidden_dir(root, ".trash-" + key + "-");
  std::error_code ec;
  if (trash && ::rename(target.c_str(), trash->c_str()) == 0) {
    fs::remove_all(*trash, ec);
  } else if (trash) {
    fs::remove(*trash, ec);
  }
}

tl::expected<void, std::string> rename_into_place(const fs::path& built, const fs::path& root, const std::string& key,
                                                  const TemplateInputs& inputs, unsigned owner_uid)
{
  const fs::path target = root / key;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (::rename(built.c_str(), target.c_str()) == 0) {
      return {};
    }
    if (errno != EEXIST && errno != ENOTEMPTY) {
      return tl::unexpected(
          fmt::format("cannot rename {} to {}: {}", built.string(), target.string(), std::strerror(errno)));
    }
    if (check_template(target.string(), inputs, owner_uid)) {
      return {}; // another run saved a good one first: ours goes
    }
    discard_bad(target, root, key);
  }
  return tl::unexpected(
      fmt::format("cannot put a template at {}: something else keeps taking its place", target.string()));
}

} // namespace

std::string major_version(std::string_view version_text)
{
  static const std::regex version(R"(\b(\d+)(\.\d+)*\b)");
  std::match_results<std::string_view::const_iterator> match;
  if (std::regex_search(version_text.begin(), version_text.end(), match, version)) {
    return match[1].str();
  }
  return {};
}

std::string marker_text(const TemplateInputs& inputs)
{
  return fmt::format("drydock postgres template {}\nversion: {}\nserver user: {}\ninitdb: {}\nroles: {}\n",
                     kTemplateFormat, trimmed(inputs.version), inputs.server_user, fmt::join(inputs.initdb_args, " "),
                     fmt::join(inputs.roles, ", "));
}

std::string template_key(const TemplateInputs& inputs)
{
  return fmt::format("pg{}-{}", major_version(inputs.version), util::stable_hash_hex(marker_text(inputs)));
}

tl::expected<void, std::string> check_template(const std::string& dir, const TemplateInputs& inputs, unsigned owner_uid)
{
  const fs::path data = fs::path(dir) / "data";
  struct stat info {};
  if (::stat(data.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return tl::unexpected(std::string("no data folder"));
  }
  if (info.st_uid != owner_uid) {
    return tl::unexpected(fmt::format("its data is owned by uid {}, not {}", info.st_uid, owner_uid));
  }
  std::error_code ec;
  if (!fs::is_regular_file(data / "PG_VERSION", ec)) {
    return tl::unexpected(std::string("no PG_VERSION"));
  }
  const std::string major = major_version(inputs.version);
  if (const auto found = trimmed(read_text(data / "PG_VERSION")); found != major) {
    return tl::unexpected(fmt::format("PG_VERSION says '{}', not '{}'", found, major));
  }
  const fs::path marker = fs::path(dir) / kTemplateMarker;
  if (!fs::is_regular_file(marker, ec)) {
    return tl::unexpected(fmt::format("no {} marker", kTemplateMarker));
  }
  if (read_text(marker) != marker_text(inputs)) {
    return tl::unexpected(fmt::format("its {} marker is for other inputs", kTemplateMarker));
  }
  return {};
}

std::string template_root(std::string_view xdg_cache_home, std::string_view home)
{
  const fs::path root = !xdg_cache_home.empty() ? fs::path(xdg_cache_home) : fs::path(home) / ".cache";
  return (root / "drydock" / "postgres").string();
}

tl::expected<std::string, std::string> server_version(const std::string& postgres, const std::string& root)
{
  struct stat info {};
  if (::stat(postgres.c_str(), &info) != 0) {
    return tl::unexpected(fmt::format("cannot find {}: {}", postgres, std::strerror(errno)));
  }
  const std::string identity = fmt::format("{}\n{}\n{}\n{}.{}\n", postgres, info.st_ino, info.st_size,
                                           info.st_ctim.tv_sec, info.st_ctim.tv_nsec);
  const fs::path remembered = root.empty() ? fs::path() : fs::path(root) / "versions" / util::stable_hash_hex(identity);
  if (auto text = root.empty() ? std::string() : read_text(remembered); text.starts_with(identity)) {
    return text.substr(identity.size());
  }
  const auto asked = os::run_capture({postgres, "--version"}, "/");
  if (!asked || asked->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot ask postgres its version: {}", asked ? asked->output : asked.error()));
  }
  if (!root.empty()) {
    remember(remembered, identity + asked->output);
  }
  return asked->output;
}

tl::expected<void, std::string> copy_data(const std::string& from, const std::string& to)
{
  const auto copied = os::run_capture({"cp", "--reflink=auto", "-a", "--", from, to}, "/", os::Stderr::merge);
  if (!copied) {
    return tl::unexpected(fmt::format("cannot copy {}: {}", from, copied.error()));
  }
  if (copied->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot copy {} to {}: {}", from, to, trimmed(copied->output)));
  }
  return {};
}

tl::expected<void, std::string> save_template(const std::string& data_dir, const std::string& root,
                                              const TemplateInputs& inputs, unsigned owner_uid)
{
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) {
    return tl::unexpected(fmt::format("cannot create {}: {}", root, ec.message()));
  }
  remove_stale_builds(root);
  const std::string key = template_key(inputs);
  const auto built = make_hidden_dir(root, ".tmp-" + key + "-");
  if (!built) {
    return tl::unexpected(built.error());
  }
  auto saved = copy_data(data_dir, (fs::path(*built) / "data").string());
  if (saved) {
    std::ofstream marker(fs::path(*built) / kTemplateMarker);
    marker << marker_text(inputs);
    if (!marker.flush()) {
      saved = tl::unexpected(fmt::format("cannot write the marker in {}", *built));
    }
  }
  if (saved) {
    saved = rename_into_place(*built, root, key, inputs, owner_uid);
  }
  fs::remove_all(*built, ec); // gone after a rename; ours to drop otherwise
  return saved;
}

} // namespace drydock::services
