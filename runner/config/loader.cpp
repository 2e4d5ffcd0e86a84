#include "config/loader.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <limits>
#include <utility>

#include "config/scalar.hpp"

namespace drydock::config {
namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();

// ---- commands ----

const Field<Command> kModifierFields[] = {
    {"timeout",
     [](Reader& r, const Node& v, std::string_view p, Command& c) { c.timeout = r.read_int(v, p, 1, kMaxInt); }},
    {"pwd", [](Reader& r, const Node& v, std::string_view p, Command& c) { c.pwd = r.read_string(v, p); }},
    {"environment", [](Reader& r, const Node& v, std::string_view p, Command& c) { c.environment = r.read_env(v, p); }},
    {"parallel", [](Reader& r, const Node& v, std::string_view p, Command& c) { c.parallel = r.read_bool(v, p); }},
    {"files", [](Reader& r, const Node& v, std::string_view p, Command& c) { c.files = r.read_string_list(v, p); }},
    {"background", [](Reader& r, const Node& v, std::string_view p,
                      Command& c) { c.background = r.read_bool(v, p).value_or(false); }},
    {"drydock",
     [](Reader& r, const Node& v, std::string_view p, Command& c) { read_step_extension(r, v, p, c.drydock); }},
};

bool is_modifier_name(const std::string& text)
{
  for (const auto& field : kModifierFields) {
    if (field.key == text) {
      return true;
    }
  }
  return false;
}

// `- cmd:` followed by modifiers indented by only two spaces makes a mapping
// of several keys; CircleCI wants them nested (four spaces).
void report_flat_modifiers(Reader& reader, const Node& item, std::string_view path)
{
  const Entry& first = item.entries.front();
  bool reported = false;
  for (std::size_t i = 1; i < item.entries.size(); ++i) {
    const Node& key = *item.entries[i].key;
    if (first.value->is_null() && key.is_scalar() && is_modifier_name(key.text)) {
      reader.error(key, fmt::format("'{}' is read as another key of the command, not as its modifier; "
                                    "indent the modifiers of '{}' by four spaces",
                                    key.text, first.key->text));
      reported = true;
    }
  }
  if (reported) {
    return;
  }
  reader.error(item, fmt::format("'{}' must be a command: a string, or a mapping with one key (the command) "
                                 "whose value holds the modifiers; this mapping has {} keys",
                                 path, item.entries.size()));
}

std::optional<Command> read_command(Reader& reader, const Node& item, std::string_view path)
{
  if (item.is_scalar() && resolve_scalar(item) != ScalarType::null) {
    Command command;
    command.text = item.text;
    command.pos = item.pos;
    return command;
  }
  if (item.is_mapping() && item.entries.size() == 1 && item.entries.front().key->is_scalar()) {
    const Entry& entry = item.entries.front();
    Command command;
    command.text = entry.key->text;
    command.pos = entry.key->pos;
    if (entry.value->is_mapping()) {
      read_fields<Command>(reader, *entry.value, path, kModifierFields, command);
    } else if (!entry.value->is_null()) {
      reader.error(*entry.value, fmt::format("the modifiers of '{}' must be a mapping (timeout, pwd, environment, "
                                             "...), got {}",
                                             entry.key->text, describe_kind(*entry.value)));
    }
    return command;
  }
  if (item.is_mapping() && item.entries.size() > 1) {
    report_flat_modifiers(reader, item, path);
    return std::nullopt;
  }
  reader.error(item, fmt::format("'{}' must be a command (a string, or a mapping from the command to its "
                                 "modifiers), got {}",
                                 path, describe_kind(item)));
  return std::nullopt;
}

std::optional<CommandList> read_commands(Reader& reader, const Node& node, std::string_view path)
{
  if (node.is_null()) {
    return CommandList{node.pos, {}}; // `post:` with nothing under it: CircleCI 1.0 ran no commands
  }
  if (!node.is_sequence()) {
    reader.error(node, fmt::format("'{}' must be a list of commands, got {}", path, describe_kind(node)));
    return std::nullopt;
  }
  CommandList list{node.pos, {}};
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    if (auto command = read_command(reader, *node.items[i], index_path(path, i))) {
      list.commands.push_back(std::move(*command));
    }
  }
  return list;
}

template <class T>
constexpr Field<T> pre_field{"pre", [](Reader& r, const Node& v, std::string_view p, T& out) {
                               out.pre = read_commands(r, v, p);
                             }};
template <class T>
constexpr Field<T> override_field{"override", [](Reader& r, const Node& v, std::string_view p, T& out) {
                                    out.override_ = read_commands(r, v, p);
                                  }};
template <class T>
constexpr Field<T> post_field{"post", [](Reader& r, const Node& v, std::string_view p, T& out) {
                                out.post = read_commands(r, v, p);
                              }};

// ---- machine ----

bool is_host_name(std::string_view name)
{
  if (name.empty()) {
    return false;
  }
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool is_ip_address(const std::string& text)
{
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

std::vector<HostEntry> read_hosts(Reader& reader, const Node& node, std::string_view path)
{
  std::vector<HostEntry> hosts;
  if (!reader.expect_mapping(node, path)) {
    return hosts;
  }
  for (const auto& entry : node.entries) {
    const Node& key = *entry.key;
    if (!key.is_scalar() || !is_host_name(key.text)) {
      reader.error(key, fmt::format("'{}' is not a valid host name (letters, digits, '-' and '.' only)",
                                    key.is_scalar() ? key.text : describe_kind(key)));
      continue;
    }
    const auto address = reader.read_string(*entry.value, join_path(path, key.text));
    if (!address) {
      continue;
    }
    if (!is_ip_address(address->value)) {
      reader.error(*entry.value, fmt::format("'{}' is not an IP address", address->value));
      continue;
    }
    hosts.push_back({key.text, address->value, key.pos});
  }
  if (!hosts.empty()) {
    reader.warning(node, fmt::format("'{}': drydock does not edit this machine's /etc/hosts, so host steps do not "
                                     "see these names; containerized steps and the build container (--container) get "
                                     "them "
                                     "with --add-host",
                                     path));
  }
  return hosts;
}

const Field<LanguageVersion> kLanguageFields[] = {
    {"version",
     [](Reader& r, const Node& v, std::string_view p, LanguageVersion& out) {
       if (auto text = r.read_string(v, p)) {
         out.version = text->value;
       }
     }},
};

LanguageVersion read_version(Reader& reader, const Node& node, std::string_view path)
{
  LanguageVersion language{std::string(path.substr(path.rfind('.') + 1)), "", node.pos};
  read_fields<LanguageVersion>(reader, node, path, kLanguageFields, language);
  require_keys(reader, node, node, path, {"version"});
  return language;
}

// How a language is named in prose (the key is its lowercase name).
std::string_view language_title(std::string_view key)
{
  constexpr std::pair<std::string_view, std::string_view> kTitles[] = {
      {"ruby", "Ruby"}, {"node", "Node.js"}, {"java", "Java"}, {"php", "PHP"}, {"python", "Python"}, {"ghc", "GHC"},
  };
  for (const auto& [name, title] : kTitles) {
    if (name == key) {
      return title;
    }
  }
  return key;
}

// CircleCI 1.0 installed the version (RVM, NVM, pyenv, ...). drydock reads
// the key and says the build uses what is already there.
void read_language(Reader& reader, const Node& node, std::string_view path, Machine& machine)
{
  machine.languages.push_back(read_version(reader, node, path));
  const auto& language = machine.languages.back();
  if (!language.version.empty()) {
    const auto title = language_title(language.language);
    reader.warning(node, fmt::format("'{}': drydock installs no language version; {} {} is not installed and the "
                                     "build uses whatever {} this machine or the build container (--container) has",
                                     path, title, language.version, title));
  }
}

// CircleCI 1.0 started these services on its machine. drydock gives docker
// and postgresql a meaning and says it starts no other.
std::vector<Text> read_services(Reader& reader, const Node& node, std::string_view path)
{
  auto services = reader.read_string_list(node, path);
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = *node.items[i];
    const bool known = item.text == "docker" || item.text == "postgresql";
    if (item.is_scalar() && !known && resolve_scalar(item) != ScalarType::null) {
      reader.warning(item, fmt::format("'{}': drydock starts no system service '{}'; declare it under "
                                       "drydock.services to run it in a container",
                                       index_path(path, i), item.text));
    }
  }
  return services;
}

// CircleCI 1.0 ran iOS builds on macOS with this Xcode. drydock reads the key
// so such configs load, and says the build goes on without Xcode.
void read_xcode(Reader& reader, const Node& node, std::string_view path, Machine& machine)
{
  machine.xcode = read_version(reader, node, path);
  if (!machine.xcode->version.empty()) {
    reader.warning(node, fmt::format("'{}': drydock runs no Xcode; version {} is not installed and the build "
                                     "runs without it",
                                     path, machine.xcode->version));
  }
}

template <class T>
constexpr Field<T> language_field(std::string_view name)
{
  return {name, [](Reader& r, const Node& v, std::string_view p, T& out) { read_language(r, v, p, out); }};
}

const Field<Machine> kMachineFields[] = {
    {"environment", [](Reader& r, const Node& v, std::string_view p, Machine& m) { m.environment = r.read_env(v, p); }},
    {"services", [](Reader& r, const Node& v, std::string_view p, Machine& m) { m.services = read_services(r, v, p); }},
    {"hosts", [](Reader& r, const Node& v, std::string_view p, Machine& m) { m.hosts = read_hosts(r, v, p); }},
    {"timezone", [](Reader& r, const Node& v, std::string_view p, Machine& m) { m.timezone = r.read_string(v, p); }},
    language_field<Machine>("ruby"),
    language_field<Machine>("node"),
    language_field<Machine>("java"),
    language_field<Machine>("php"),
    language_field<Machine>("python"),
    language_field<Machine>("ghc"),
    {"xcode", [](Reader& r, const Node& v, std::string_view p, Machine& m) { read_xcode(r, v, p, m); }},
    pre_field<Machine>,
    post_field<Machine>,
};

constexpr KeyHint kMachineHints[] = {
    {"override", "'machine' has no 'override'; use 'pre' or 'post'"},
    {"go", "Go's version is not set in 'machine' in circle.yml 1.0; install it in 'machine.pre'"},
};

// ---- checkout, dependencies, database, compile, test ----

const Field<Checkout> kCheckoutFields[] = {post_field<Checkout>};

constexpr KeyHint kCheckoutHints[] = {
    {"pre", "'checkout' only has 'post': circle.yml is read after the checkout"},
    {"override", "'checkout' only has 'post': circle.yml is read after the checkout"},
};

// CircleCI 1.0 passed these groups to the bundle install it inferred;
// drydock infers none.
void read_bundler_without(Reader& reader, const Node& node, std::string_view path, Dependencies& dependencies)
{
  dependencies.bundler_without = reader.read_string_list(node, path);
  std::vector<std::string> groups;
  for (const auto& group : dependencies.bundler_without) {
    groups.push_back(group.value);
  }
  if (!groups.empty()) {
    reader.warning(node, fmt::format("'{}': drydock infers no bundle install, so these groups are not used; for "
                                     "your own bundle install, set BUNDLE_WITHOUT={}",
                                     path, fmt::join(groups, ":")));
  }
}

const Field<Dependencies> kBundlerFields[] = {
    {"without",
     [](Reader& r, const Node& v, std::string_view p, Dependencies& d) { read_bundler_without(r, v, p, d); }},
};

const Field<Dependencies> kDependenciesFields[] = {
    pre_field<Dependencies>,
    override_field<Dependencies>,
    post_field<Dependencies>,
    {"cache_directories", [](Reader& r, const Node& v, std::string_view p,
                             Dependencies& d) { d.cache_directories = r.read_string_list(v, p); }},
    {"bundler", [](Reader& r, const Node& v, std::string_view p,
                   Dependencies& d) { read_fields<Dependencies>(r, v, p, kBundlerFields, d); }},
};

const Field<Phase> kPhaseFields[] = {pre_field<Phase>, override_field<Phase>, post_field<Phase>};

const Field<Test> kTestFields[] = {
    pre_field<Test>,
    override_field<Test>,
    post_field<Test>,
    {"minitest_globs",
     [](Reader& r, const Node& v, std::string_view p, Test& t) {
       t.minitest_globs = r.read_string_list(v, p);
       if (!t.minitest_globs.empty()) {
         r.warning(v, fmt::format("'{}': drydock infers no test commands, so these globs are not used; the build "
                                  "runs the commands written in 'test'",
                                  p));
       }
     }},
};

// ---- deployment ----

const Field<Deployment> kHerokuFields[] = {
    {"appname",
     [](Reader& r, const Node& v, std::string_view p, Deployment& d) { d.heroku_appname = r.read_string(v, p); }},
};

const Field<Deployment> kDeploymentFields[] = {
    {"branch", [](Reader& r, const Node& v, std::string_view p, Deployment& d) { d.branch = r.read_patterns(v, p); }},
    {"tag", [](Reader& r, const Node& v, std::string_view p, Deployment& d) { d.tag = r.read_patterns(v, p); }},
    {"owner", [](Reader& r, const Node& v, std::string_view p, Deployment& d) { d.owner = r.read_string(v, p); }},
    {"commands",
     [](Reader& r, const Node& v, std::string_view p, Deployment& d) { d.commands = read_commands(r, v, p); }},
    {"heroku", [](Reader& r, const Node& v, std::string_view p,
                  Deployment& d) { read_fields<Deployment>(r, v, p, kHerokuFields, d); }},
    {"drydock",
     [](Reader& r, const Node& v, std::string_view p, Deployment& d) { read_deployment_extension(r, v, p, d); }},
};

constexpr KeyHint kDeploymentHints[] = {
    {"pre", "deployment sections take 'commands', not 'pre'"},
    {"override", "deployment sections take 'commands', not 'override'"},
    {"post", "deployment sections take 'commands', not 'post'"},
};

// CircleCI 1.0 pushed the commit to the section's Heroku app; drydock says
// it does not, and what the section runs instead.
void warn_heroku(Reader& reader, const Node& section_node, std::string_view path, const Deployment& section)
{
  for (const auto& entry : section_node.entries) {
    if (!entry.key->is_scalar() || entry.key->text != "heroku" || !entry.value->is_mapping()) {
      continue;
    }
    const std::string app = section.heroku_appname ? fmt::format(" (no git push to {})", section.heroku_appname->value)
                                                   : "";
    const bool commands = section.commands && !section.commands->commands.empty();
    const std::string_view runs = commands                  ? "only the section's commands run"
                                  : section.publish.empty() ? "the section has no commands, so it runs nothing"
                                                            : "only the section's drydock.publish entries run";
    reader.warning(*entry.value,
                   fmt::format("'{}': drydock does not deploy to Heroku{}; {}", join_path(path, "heroku"), app, runs));
  }
}

std::vector<Deployment> read_deployment(Reader& reader, const Node& node, std::string_view path)
{
  std::vector<Deployment> sections;
  if (!reader.expect_mapping(node, path)) {
    return sections;
  }
  for (const auto& entry : node.entries) {
    const Node& key = *entry.key;
    if (!key.is_scalar()) {
      report_key_not_plain(reader, key, path);
      continue;
    }
    if (key.text.starts_with("x-")) {
      continue;
    }
    Deployment section;
    section.name = key.text;
    section.pos = key.pos;
    read_fields<Deployment>(reader, *entry.value, join_path(path, key.text), kDeploymentFields, section,
                            kDeploymentHints);
    if (entry.value->is_mapping()) {
      warn_heroku(reader, *entry.value, join_path(path, key.text), section);
    }
    sections.push_back(std::move(section));
  }
  return sections;
}

// ---- general, notify, experimental ----

const Field<BranchFilter> kBranchFilterFields[] = {
    {"only", [](Reader& r, const Node& v, std::string_view p, BranchFilter& b) { b.only = r.read_patterns(v, p); }},
    {"ignore", [](Reader& r, const Node& v, std::string_view p, BranchFilter& b) { b.ignore = r.read_patterns(v, p); }},
};

const Field<General> kGeneralFields[] = {
    {"branches", [](Reader& r, const Node& v, std::string_view p,
                    General& g) { read_fields<BranchFilter>(r, v, p, kBranchFilterFields, g.branches); }},
    {"build_dir", [](Reader& r, const Node& v, std::string_view p, General& g) { g.build_dir = r.read_string(v, p); }},
    {"artifacts",
     [](Reader& r, const Node& v, std::string_view p, General& g) { g.artifacts = r.read_string_list(v, p); }},
};

const Field<Text> kWebhookFields[] = {
    {"url",
     [](Reader& r, const Node& v, std::string_view p, Text& t) {
       if (auto url = r.read_string(v, p)) {
         t = std::move(*url);
       }
     }},
};

const Field<Notify> kNotifyFields[] = {
    {"webhooks",
     [](Reader& r, const Node& v, std::string_view p, Notify& n) {
       if (!v.is_sequence()) {
         r.error(v, fmt::format("'{}' must be a list of webhooks, got {}", p, describe_kind(v)));
         return;
       }
       for (std::size_t i = 0; i < v.items.size(); ++i) {
         Text url{"", v.items[i]->pos};
         read_fields<Text>(r, *v.items[i], index_path(p, i), kWebhookFields, url);
         require_keys(r, *v.items[i], *v.items[i], index_path(p, i), {"url"});
         n.webhooks.push_back(std::move(url));
       }
       if (!v.items.empty()) {
         r.warning(v, fmt::format("'{}': drydock sends no notifications; these webhooks are not called", p));
       }
     }},
};

const Field<Experimental> kExperimentalNotifyFields[] = {
    {"branches", [](Reader& r, const Node& v, std::string_view p,
                    Experimental& e) { read_fields<BranchFilter>(r, v, p, kBranchFilterFields, e.notify_branches); }},
};

const Field<Experimental> kExperimentalFields[] = {
    {"notify",
     [](Reader& r, const Node& v, std::string_view p, Experimental& e) {
       read_fields<Experimental>(r, v, p, kExperimentalNotifyFields, e);
       if (!e.notify_branches.only.empty() || !e.notify_branches.ignore.empty()) {
         r.warning(v, fmt::format("'{}': drydock sends no notifications, so this filter of chat notifications has "
                                  "no effect",
                                  p));
       }
     }},
};

// ---- top level ----

template <class T>
void mark_present(T& section, const Node& node)
{
  section.present = true;
  section.pos = node.pos;
}

const Field<Config> kTopFields[] = {
    {"machine",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       mark_present(c.machine, v);
       read_fields<Machine>(r, v, p, kMachineFields, c.machine, kMachineHints);
     }},
    {"checkout",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       mark_present(c.checkout, v);
       read_fields<Checkout>(r, v, p, kCheckoutFields, c.checkout, kCheckoutHints);
     }},
    {"dependencies",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       mark_present(c.dependencies, v);
       read_fields<Dependencies>(r, v, p, kDependenciesFields, c.dependencies);
     }},
    {"database",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       mark_present(c.database, v);
       read_fields<Phase>(r, v, p, kPhaseFields, c.database);
     }},
    {"compile",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       mark_present(c.compile, v);
       read_fields<Phase>(r, v, p, kPhaseFields, c.compile);
     }},
    {"test",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       mark_present(c.test, v);
       read_fields<Test>(r, v, p, kTestFields, c.test);
     }},
    {"deployment",
     [](Reader& r, const Node& v, std::string_view p, Config& c) { c.deployment = read_deployment(r, v, p); }},
    {"general",
     [](Reader& r, const Node& v, std::string_view p, Config& c) {
       c.general.pos = v.pos;
       read_fields<General>(r, v, p, kGeneralFields, c.general);
     }},
    {"notify", [](Reader& r, const Node& v, std::string_view p,
                  Config& c) { read_fields<Notify>(r, v, p, kNotifyFields, c.notify); }},
    {"experimental", [](Reader& r, const Node& v, std::string_view p,
                        Config& c) { read_fields<Experimental>(r, v, p, kExperimentalFields, c.experimental); }},
    {"drydock", [](Reader& r, const Node& v, std::string_view p, Config& c) { read_extension(r, v, p, c.drydock); }},
};

} // namespace

Config load_config(const Node* root, std::string path, Diagnostics& diags)
{
  Config config;
  config.path = std::move(path);
  if (root == nullptr || root->is_null()) {
    return config;
  }
  Reader reader(diags);
  if (!root->is_mapping()) {
    reader.error(*root, fmt::format("a config must be a mapping of sections (machine, dependencies, test, ...), "
                                    "got {}",
                                    describe_kind(*root)));
    return config;
  }
  read_fields<Config>(reader, *root, "", kTopFields, config);
  return config;
}

bool report_circleci_2(const Node& root, Diagnostics& diags)
{
  for (const auto& entry : root.entries) {
    const Node& key = *entry.key;
    const Node& value = *entry.value;
    const bool version_2 = value.is_scalar() && (value.text == "2" || value.text.starts_with("2."));
    if (key.is_scalar() && key.text == "version" && version_2) {
      diags.error(key.pos,
                  fmt::format("this is a CircleCI 2.x config (version: {}), not circle.yml 1.0: drydock's "
                              "commands check and run it as 2.x",
                              value.text),
                  key.length);
      return true;
    }
  }
  return false;
}

std::vector<KindKeys> loader_key_tables()
{
  std::vector<KindKeys> tables = {
      {"config", keys_of(kTopFields)},
      {"machine", keys_of(kMachineFields)},
      {"language", keys_of(kLanguageFields)},
      {"checkout", keys_of(kCheckoutFields)},
      {"dependencies", keys_of(kDependenciesFields)},
      {"bundler", keys_of(kBundlerFields)},
      {"phase", keys_of(kPhaseFields)},
      {"test", keys_of(kTestFields)},
      {"deployment_section", keys_of(kDeploymentFields)},
      {"heroku", keys_of(kHerokuFields)},
      {"general", keys_of(kGeneralFields)},
      {"branch_filter", keys_of(kBranchFilterFields)},
      {"notify", keys_of(kNotifyFields)},
      {"webhook", keys_of(kWebhookFields)},
      {"experimental", keys_of(kExperimentalFields)},
      {"experimental_notify", keys_of(kExperimentalNotifyFields)},
      {"modifiers", keys_of(kModifierFields)},
  };
  for (auto& table : extension_key_tables()) {
    tables.push_back(std::move(table));
  }
  return tables;
}

} // namespace drydock::config
