#include "cli/internal_kept.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "docker/job_container.hpp"
#include "docker/kept_files.hpp"
#include "env/environment.hpp"

namespace drydock::cli {
namespace {

constexpr auto kCacheLifetime = std::chrono::hours(24 * 15); // as long as CircleCI keeps a cache

void say(const std::string& line)
{
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

int failed(const std::string& why)
{
  fmt::print(stderr, "drydock: {}\n", why);
  return kExitStepFailed;
}

docker::FilesPlace place_of(const exec::InternalStep& step, const std::string& container, const std::string& base)
{
  return {container.empty() ? "" : docker::job_container_name(step.run_id, container), base};
}

// The step's variables, the time and this machine; checksums of files where they are.
docker::KeyValues key_values(const docker::Client& client, const docker::FilesPlace& place)
{
  docker::KeyValues values;
  values.env = [env = env::Environment::from_entries(host_environment())](const std::string& name) {
    return env.get(name);
  };
  values.checksum = [&client, place](const std::string& file) { return docker::checksum_of(client, place, file); };
  values.epoch =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  values.arch = docker::machine_arch();
  return values;
}

std::string size_words(std::uint64_t bytes)
{
  constexpr std::uint64_t kMiB = 1024ULL * 1024ULL;
  return bytes < kMiB ? fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0)
                      : fmt::format("{:.1f} MiB", static_cast<double>(bytes) / static_cast<double>(kMiB));
}

} // namespace

int run_cache_save(const exec::InternalStep& step, const pipeline::CacheSave& save)
{
  const docker::EngineClient client;
  const auto place = place_of(step, save.container, save.base);
  const auto key = docker::render_key(save.key, key_values(client, place));
  if (!key) {
    return failed(key.error());
  }
  if (docker::cache_exists(save.dir, *key)) {
    say(fmt::format("cache {} exists: not saved again (a key's cache is never replaced)", *key));
    return kExitOk;
  }
  for (const auto& removed : docker::prune_caches(save.dir, std::chrono::system_clock::now(), kCacheLifetime)) {
    say(fmt::format("removed the cache {}: unused for 15 days", removed));
  }
  const auto saved = docker::save_cache(client, place, save.paths, save.dir, *key);
  if (!saved) {
    return failed(fmt::format("cache {} not saved: {}", *key, saved.error()));
  }
  if (!saved->saved) {
    say(fmt::format("warning: nothing to save for {}: none of {} exists", *key, fmt::join(save.paths, ", ")));
  } else {
    say(fmt::format("saved cache {} ({}): {}", *key, size_words(saved->bytes), fmt::join(save.paths, ", ")));
  }
  return kExitOk;
}

int run_cache_restore(const exec::InternalStep& step, const pipeline::CacheRestore& restore)
{
  const docker::EngineClient client;
  const auto place = place_of(step, restore.container, restore.base);
  const auto values = key_values(client, place);
  std::vector<std::string> tried;
  for (const auto& template_key : restore.keys) {
    const auto key = docker::render_key(template_key, values);
    if (!key) {
      return failed(key.error());
    }
    tried.push_back(*key);
    const auto found = docker::find_cache(restore.dir, *key);
    if (!found) {
      continue;
    }
    if (auto restored = docker::restore_cache(client, place, *found); !restored) {
      say(fmt::format("warning: cache {} not restored: {}", found->key, restored.error()));
      return kExitOk;
    }
    docker::touch_cache(*found);
    say(found->exact ? fmt::format("restored cache {} from key {} (exact)", found->key, *key)
                     : fmt::format("restored cache {} from key {} (a prefix; the newest of {})", found->key, *key,
                                   found->candidates));
    return kExitOk;
  }
  say(fmt::format("no cache found for keys: {}: nothing restored", fmt::join(tried, ", ")));
  return kExitOk;
}

int run_workspace_persist(const exec::InternalStep& step, const pipeline::WorkspacePersist& persist)
{
  const docker::EngineClient client;
  const auto files = docker::persist_layer(client, place_of(step, persist.container, persist.base), persist.root,
                                           persist.paths, persist.layer_dir);
  if (!files) {
    return failed(fmt::format("nothing persisted to the workspace: {}", files.error()));
  }
  if (files->empty()) {
    say(fmt::format("warning: nothing to persist: {} match nothing under {}", fmt::join(persist.paths, ", "),
                    persist.root));
    return kExitOk;
  }
  say(fmt::format("persisted to the workspace: {} ({} file(s) under {})", fmt::join(persist.paths, ", "), files->size(),
                  persist.root));
  return kExitOk;
}

int run_workspace_attach(const exec::InternalStep& step, const pipeline::WorkspaceAttach& attach)
{
  std::vector<std::vector<docker::LayerFiles>> jobs;
  std::vector<std::string> persisted;
  for (const auto& layer : attach.layers) {
    jobs.push_back(docker::layers_in(layer.dir));
    if (!jobs.back().empty()) {
      persisted.push_back(layer.job);
    }
  }
  if (const auto conflict = docker::workspace_conflict(attach.layers, jobs)) {
    return failed(fmt::format("the workspace cannot be attached: {}", *conflict));
  }
  if (persisted.empty()) {
    say(fmt::format("warning: nothing to attach at {}: no job this one requires persisted anything", attach.at));
    return kExitOk;
  }
  const docker::EngineClient client;
  const auto place = place_of(step, attach.container, attach.base);
  for (const auto& layers : jobs) {
    for (const auto& layer : layers) {
      if (auto unpacked = docker::unpack_layer(client, place, attach.at, layer.archive); !unpacked) {
        return failed(fmt::format("the workspace cannot be attached at {}: {}", attach.at, unpacked.error()));
      }
    }
  }
  say(fmt::format("attached the workspace at {}: what {} persisted", attach.at, fmt::join(persisted, ", ")));
  return kExitOk;
}

} // namespace drydock::cli
