// `drydock orb fetch [REF...]`: registry orbs from CircleCI's public orb
// API into the local orb cache, with the orbs they import, so that a
// config naming them validates, plans and runs offline.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/orb_cache.hpp"
#include "cli/pipeline.hpp"
#include "config/yaml_tree.hpp"
#include "frontends/format.hpp"
#include "net/http_client.hpp"
#include "util/file.hpp"

namespace drydock::cli {
namespace {

constexpr const char* kOrbApi = "https://circleci.com/graphql-unstable";
constexpr std::size_t kMostOrbs = 256; // a config and the orbs they import; more is a loop or a mistake

struct FetchOptions {
  std::vector<std::string> refs;
  std::string file; // the config whose orbs to fetch, when no REF is given
  std::optional<std::string> orbs_dir;
  std::string api = kOrbApi;
};

// The orb API and the proxy (from the environment, as curl reads it) that reaches it.
struct Api {
  net::Url url;
  std::optional<net::Url> proxy;
};

struct Fetched {
  circle2::OrbRef ref; // with the version CircleCI resolved it to
  std::string source;
};

// The version CircleCI answered for `asked`, if it is one `asked` means.
tl::expected<circle2::OrbRef, std::string> resolved_ref(const circle2::OrbRef& asked, const std::string& version)
{
  auto resolved = circle2::parse_orb_ref(asked.ns + "/" + asked.name + "@" + version);
  if (!resolved) {
    return tl::unexpected(fmt::format("the API answered a version that is not one: {}", resolved.error()));
  }
  // X, X.Y and volatile resolve to a full X.Y.Z, kept as such (a config's X reads the highest kept).
  const bool fits = circle2::version_means(asked.version, version);
  if (!fits) {
    return tl::unexpected(fmt::format("the API answered version {}, which {} does not mean", version, asked.text()));
  }
  return resolved;
}

tl::expected<Fetched, std::string> answer_of(const circle2::OrbRef& asked, const net::Response& response)
{
  if (response.status != 200) {
    return tl::unexpected(fmt::format("the API answered HTTP {}", response.status));
  }
  const auto json = nlohmann::json::parse(response.body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return tl::unexpected(std::string("the API's answer is not JSON"));
  }
  if (const auto errors = json.find("errors"); errors != json.end() && errors->is_array() && !errors->empty()) {
    const auto& first = errors->front();
    return tl::unexpected(fmt::format("the API says: {}", first.is_object() && first.contains("message")
                                                              ? first["message"].dump()
                                                              : first.dump()));
  }
  const nlohmann::json::json_pointer where("/data/orbVersion");
  const auto version = json.contains(where) ? json[where] : nlohmann::json();
  if (!version.is_object()) {
    return tl::unexpected(fmt::format("CircleCI has no public orb {}", asked.text()));
  }
  if (!version.contains("source") || !version["source"].is_string() || !version.contains("version")
      || !version["version"].is_string()) {
    return tl::unexpected(std::string("the API's answer has no source and version"));
  }
  auto ref = resolved_ref(asked, version["version"].get<std::string>());
  if (!ref) {
    return tl::unexpected(ref.error());
  }
  return Fetched{std::move(*ref), version["source"].get<std::string>()};
}

tl::expected<Fetched, std::string> fetch_one(const Api& api, const circle2::OrbRef& ref)
{
  const nlohmann::json query{{"query", "query($orbVersionRef: String!) { orbVersion(orbVersionRef: $orbVersionRef) { "
                                       "id version source } }"},
                             {"variables", {{"orbVersionRef", ref.text()}}}};
  const net::Request request{"POST",
                             {{"Content-Type", "application/json"}, {"Accept", "application/json"}},
                             query.dump()};
  const auto response = net::send(api.url, request, {}, api.proxy);
  if (!response) {
    return tl::unexpected(fmt::format("cannot reach the orb API: {}", response.error()));
  }
  return answer_of(ref, *response);
}

// The orb's source as YAML (a published orb always is), or why not.
tl::expected<config::NodePtr, std::string> parsed_source(const Fetched& fetched)
{
  const SourceFile file(fetched.ref.text(), fetched.source);
  if (find_non_text_byte(file.text())) {
    return tl::unexpected(std::string("its source is not text"));
  }
  Diagnostics diags;
  auto root = config::parse_yaml(file, diags);
  if (diags.has_errors() || root == nullptr || !root->is_mapping()) {
    const auto& all = diags.all();
    return tl::unexpected(all.empty() ? std::string("its source is not a mapping")
                                      : fmt::format("its source is not YAML: {}:{}: {}", all.front().pos.line,
                                                    all.front().pos.column, all.front().message));
  }
  return root;
}

struct Kept {
  Fetched fetched;
  config::NodePtr root;
  std::string path;
};

// The orb fetched, checked and kept in the cache.
tl::expected<Kept, std::string> fetch_and_keep(const Api& api, const OrbCache& cache, const circle2::OrbRef& ref)
{
  auto fetched = fetch_one(api, ref);
  if (!fetched) {
    return tl::unexpected(fetched.error());
  }
  auto root = parsed_source(*fetched);
  if (!root) {
    return tl::unexpected(root.error());
  }
  auto saved = cache.save(fetched->ref, fetched->source);
  if (!saved) {
    return tl::unexpected(saved.error());
  }
  return Kept{std::move(*fetched), std::move(*root), std::move(*saved)};
}

// The refs to fetch: those given, else the registry orbs of the config.
tl::expected<std::vector<circle2::OrbRef>, std::string> wanted_refs(const FetchOptions& options)
{
  std::vector<circle2::OrbRef> refs;
  for (const auto& written : options.refs) {
    auto ref = circle2::parse_orb_ref(written);
    if (!ref) {
      return tl::unexpected(ref.error());
    }
    refs.push_back(std::move(*ref));
  }
  if (!refs.empty()) {
    return refs;
  }
  const std::string path = options.file.empty() ? frontends::default_config_file() : options.file;
  auto text = read_config_file(path);
  if (!text) {
    return tl::unexpected(fmt::format("{}: {}", path, text.error()));
  }
  const SourceFile file(path, std::move(*text));
  Diagnostics diags;
  const auto root = config::parse_yaml(file, diags);
  if (root == nullptr || diags.has_errors()) {
    return tl::unexpected(fmt::format("{} is not YAML: run `drydock validate {}`", path, path));
  }
  return circle2::registry_orbs(*root);
}

// The API's URL and its proxy, or why not.
tl::expected<Api, std::string> api_of(const std::string& written, const env::Environment& env)
{
  auto url = net::parse_url(written);
  if (!url) {
    return tl::unexpected(url.error());
  }
  auto proxy = net::proxy_for(*url, [&](const std::string& name) { return env.get(name); });
  if (!proxy) {
    return tl::unexpected(proxy.error());
  }
  return Api{std::move(*url), std::move(*proxy)};
}

int run_fetch(const FetchOptions& options)
{
  const auto env = env::Environment::from_entries(host_environment());
  const auto api = api_of(options.api, env);
  auto wanted = wanted_refs(options);
  if (!api || !wanted) {
    fmt::print(stderr, "drydock orb fetch: {}\n", api ? wanted.error() : api.error());
    return kExitConfigOrUsage;
  }
  const OrbCache cache(orb_cache_dir(options.orbs_dir, env));
  std::deque<circle2::OrbRef> queue(wanted->begin(), wanted->end());
  std::set<std::string> seen;
  int failed = 0;
  while (!queue.empty() && seen.size() < kMostOrbs) {
    const auto ref = queue.front();
    queue.pop_front();
    if (!seen.insert(ref.text()).second) {
      continue;
    }
    auto kept = fetch_and_keep(*api, cache, ref);
    if (!kept) {
      fmt::print(stderr, "drydock orb fetch: {}: {}\n", ref.text(), kept.error());
      ++failed;
      continue;
    }
    const auto& [fetched, root, saved] = *kept;
    fmt::print("fetched {} ({}) into {}\n", ref.text(), fetched.ref.version, saved);
    for (const auto& imported : circle2::registry_orbs(*root)) {
      if (!cache.find(imported)) {
        queue.push_back(imported);
      }
    }
  }
  if (!queue.empty()) {
    fmt::print(stderr, "drydock orb fetch: more than {} orbs: stopped\n", kMostOrbs);
    ++failed;
  }
  if (wanted->empty()) {
    fmt::print("{} names no registry orbs\n", options.file.empty() ? frontends::default_config_file() : options.file);
  }
  std::fflush(stdout);
  return failed == 0 ? kExitOk : kExitStepFailed;
}

} // namespace

Action add_orb_command(CLI::App& app)
{
  auto options = std::make_shared<FetchOptions>();
  auto* orb = app.add_subcommand("orb", "CircleCI 2.1 registry orbs in the local orb cache (~/.cache/drydock/orbs, "
                                        "or $XDG_CACHE_HOME/drydock/orbs), which validate, plan and run read "
                                        "them from: they never go online.");
  orb->require_subcommand(1);
  auto* fetch = orb->add_subcommand("fetch", "Fetch registry orbs (NAMESPACE/NAME@VERSION) and the orbs they import "
                                             "from CircleCI's public orb API into the local orb cache, replacing "
                                             "what is kept; with no REF, the orbs of the config.");
  fetch->add_option("refs", options->refs, "Orbs to fetch, such as circleci/node@5.1.0");
  fetch->add_option("--file", options->file,
                    "The config whose registry orbs to fetch (default: .circleci/config.yml when there is one, else "
                    "circle.yml)");
  fetch->add_option("--orbs", options->orbs_dir, "The orb cache's folder");
  fetch->add_option("--api", options->api,
                    fmt::format("The orb API's URL (default {}); reached through https_proxy (http_proxy for "
                                "http://, all_proxy) unless no_proxy names its host, as curl does",
                                kOrbApi));
  fetch->footer("A version X or X.Y is kept as the full version the API resolves it to, and a config's X or X.Y "
                "reads the highest kept. By hand: `circleci orb source NS/NAME@VERSION > "
                "~/.cache/drydock/orbs/NS/NAME@VERSION.yml`.\n\nExit status: 0 when every orb was fetched, 1 when "
                "any was not, 2 on a usage error.");
  return [options] { return run_fetch(*options); };
}

} // namespace drydock::cli
