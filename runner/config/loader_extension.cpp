// The loader for drydock's own keys: top-level `drydock:` (images, database,
// services, publish), a command's `drydock:` modifier and a deployment
// section's `drydock:`.
#include <fmt/format.h>

#include <limits>

#include "config/loader.hpp"

namespace drydock::config {
namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();

void assign(Text& target, std::optional<Text> value)
{
  if (value) {
    target = std::move(*value);
  }
}

// ---- per-step ----

const Field<StepExtension> kStepFields[] = {
    {"id", [](Reader& r, const Node& v, std::string_view p, StepExtension& s) { s.id = r.read_string(v, p); }},
    {"requires",
     [](Reader& r, const Node& v, std::string_view p, StepExtension& s) { s.requires_ = r.read_string_or_list(v, p); }},
    {"concurrent", [](Reader& r, const Node& v, std::string_view p,
                      StepExtension& s) { s.concurrent = r.read_bool(v, p).value_or(false); }},
    {"image", [](Reader& r, const Node& v, std::string_view p, StepExtension& s) { s.image = r.read_string(v, p); }},
    {"services",
     [](Reader& r, const Node& v, std::string_view p, StepExtension& s) { s.services = r.read_string_list(v, p); }},
    {"database", [](Reader& r, const Node& v, std::string_view p,
                    StepExtension& s) { s.database = r.read_bool(v, p).value_or(false); }},
};

const Field<Deployment> kDeploymentExtensionFields[] = {
    {"publish",
     [](Reader& r, const Node& v, std::string_view p, Deployment& d) { d.publish = r.read_string_or_list(v, p); }},
};

// ---- images ----

const Field<ImageSpec> kImageFields[] = {
    {"repository",
     [](Reader& r, const Node& v, std::string_view p, ImageSpec& i) { assign(i.repository, r.read_string(v, p)); }},
    {"dockerfile",
     [](Reader& r, const Node& v, std::string_view p, ImageSpec& i) { assign(i.dockerfile, r.read_string(v, p)); }},
    {"context",
     [](Reader& r, const Node& v, std::string_view p, ImageSpec& i) { assign(i.context, r.read_string(v, p)); }},
    {"inputs", [](Reader& r, const Node& v, std::string_view p, ImageSpec& i) { i.inputs = r.read_string_list(v, p); }},
    {"allow_outside_inputs", [](Reader& r, const Node& v, std::string_view p,
                                ImageSpec& i) { i.allow_outside_inputs = r.read_bool(v, p).value_or(false); }},
    {"build_args", [](Reader& r, const Node& v, std::string_view p, ImageSpec& i) { i.build_args = r.read_env(v, p); }},
    {"cache_dir",
     [](Reader& r, const Node& v, std::string_view p, ImageSpec& i) { assign(i.cache_dir, r.read_string(v, p)); }},
    {"keep", [](Reader& r, const Node& v, std::string_view p,
                ImageSpec& i) { i.keep = r.read_int(v, p, 1, 100).value_or(i.keep); }},
};

// ---- database ----

std::optional<DatabaseProvider> parse_provider(const std::string& text)
{
  if (text == "cluster") {
    return DatabaseProvider::cluster;
  }
  if (text == "url") {
    return DatabaseProvider::url;
  }
  if (text == "container") {
    return DatabaseProvider::container;
  }
  return std::nullopt;
}

void read_provider(Reader& reader, const Node& value, std::string_view path, DatabaseSpec& spec)
{
  const auto text = reader.read_string(value, path);
  if (!text) {
    return;
  }
  if (const auto provider = parse_provider(text->value)) {
    spec.provider = *provider;
  } else {
    reader.error(value, fmt::format("'{}' must be one of cluster, url, container; got '{}'", path, text->value));
  }
}

void assign_string(std::string& target, std::optional<Text> value)
{
  if (value) {
    target = std::move(value->value);
  }
}

const Field<DatabaseSpec> kDatabaseFields[] = {
    {"provider", read_provider},
    {"url", [](Reader& r, const Node& v, std::string_view p, DatabaseSpec& d) { d.url = r.read_string(v, p); }},
    {"image", [](Reader& r, const Node& v, std::string_view p, DatabaseSpec& d) { d.image = r.read_string(v, p); }},
    {"alias",
     [](Reader& r, const Node& v, std::string_view p, DatabaseSpec& d) {
       d.alias_pos = v.pos;
       assign_string(d.alias, r.read_string(v, p));
     }},
    {"user",
     [](Reader& r, const Node& v, std::string_view p, DatabaseSpec& d) { assign_string(d.user, r.read_string(v, p)); }},
    {"databases",
     [](Reader& r, const Node& v, std::string_view p, DatabaseSpec& d) { d.databases = r.read_string_or_list(v, p); }},
    {"env",
     [](Reader& r, const Node& v, std::string_view p, DatabaseSpec& d) { assign_string(d.env, r.read_string(v, p)); }},
};

// ---- services ----

const Field<Readiness> kReadinessFields[] = {
    {"log", [](Reader& r, const Node& v, std::string_view p, Readiness& d) { d.log = r.read_string(v, p); }},
    {"times", [](Reader& r, const Node& v, std::string_view p,
                 Readiness& d) { d.times = r.read_int(v, p, 1, 1000).value_or(d.times); }},
    {"port", [](Reader& r, const Node& v, std::string_view p, Readiness& d) { d.port = r.read_int(v, p, 1, 65535); }},
    {"command", [](Reader& r, const Node& v, std::string_view p, Readiness& d) { d.command = r.read_string(v, p); }},
    {"timeout", [](Reader& r, const Node& v, std::string_view p,
                   Readiness& d) { d.timeout = r.read_int(v, p, 1, kMaxInt).value_or(d.timeout); }},
};

std::vector<int> read_ports(Reader& reader, const Node& node, std::string_view path)
{
  std::vector<int> ports;
  if (!node.is_sequence()) {
    reader.error(node, fmt::format("'{}' must be a list of port numbers, got {}", path, describe_kind(node)));
    return ports;
  }
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    if (const auto port = reader.read_int(*node.items[i], index_path(path, i), 1, 65535)) {
      ports.push_back(*port);
    }
  }
  return ports;
}

const Field<ServiceSpec> kServiceFields[] = {
    {"image",
     [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { assign(s.image, r.read_string(v, p)); }},
    {"alias", [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { s.alias = r.read_string(v, p); }},
    {"command",
     [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { s.command = r.read_string_or_list(v, p); }},
    {"environment",
     [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { s.environment = r.read_env(v, p); }},
    {"ports", [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { s.ports = read_ports(r, v, p); }},
    {"tmpfs", [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { s.tmpfs = r.read_string_list(v, p); }},
    {"depends_on",
     [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) { s.depends_on = r.read_string_list(v, p); }},
    {"ready",
     [](Reader& r, const Node& v, std::string_view p, ServiceSpec& s) {
       Readiness ready;
       ready.pos = v.pos;
       read_fields<Readiness>(r, v, p, kReadinessFields, ready);
       if (v.is_mapping() && !v.find("log") && !v.find("port") && !v.find("command")) {
         r.error(v, fmt::format("'{}' needs a 'log', 'port' or 'command'", p));
       }
       s.ready = std::move(ready);
     }},
};

// ---- publish ----

const Field<RegistryLogin> kLoginFields[] = {
    {"username_env", [](Reader& r, const Node& v, std::string_view p,
                        RegistryLogin& l) { assign(l.username_env, r.read_string(v, p)); }},
    {"password_env", [](Reader& r, const Node& v, std::string_view p,
                        RegistryLogin& l) { assign(l.password_env, r.read_string(v, p)); }},
};

const Field<PublishSpec> kPublishFields[] = {
    {"image",
     [](Reader& r, const Node& v, std::string_view p, PublishSpec& s) { assign(s.image, r.read_string(v, p)); }},
    {"registry",
     [](Reader& r, const Node& v, std::string_view p, PublishSpec& s) { s.registry = r.read_string(v, p); }},
    {"tags",
     [](Reader& r, const Node& v, std::string_view p, PublishSpec& s) { s.tags = r.read_string_or_list(v, p); }},
    {"version", [](Reader& r, const Node& v, std::string_view p, PublishSpec& s) { s.version = r.read_string(v, p); }},
    {"latest", [](Reader& r, const Node& v, std::string_view p,
                  PublishSpec& s) { s.latest = r.read_bool(v, p).value_or(false); }},
    {"semver", [](Reader& r, const Node& v, std::string_view p,
                  PublishSpec& s) { s.semver = r.read_bool(v, p).value_or(false); }},
    {"precision", [](Reader& r, const Node& v, std::string_view p,
                     PublishSpec& s) { s.precision = r.read_int(v, p, 1, 10).value_or(s.precision); }},
    {"zero",
     [](Reader& r, const Node& v, std::string_view p, PublishSpec& s) { s.zero = r.read_bool(v, p).value_or(false); }},
    {"login",
     [](Reader& r, const Node& v, std::string_view p, PublishSpec& s) {
       RegistryLogin login;
       read_fields<RegistryLogin>(r, v, p, kLoginFields, login);
       require_keys(r, v, v, p, {"username_env", "password_env"});
       s.login = std::move(login);
     }},
};

// Reads a mapping of name -> spec, such as drydock.images.
template <class Spec>
std::vector<Spec> read_named(Reader& reader, const Node& node, std::string_view path,
                             std::span<const Field<Spec>> fields, std::initializer_list<std::string_view> required)
{
  std::vector<Spec> specs;
  if (!reader.expect_mapping(node, path)) {
    return specs;
  }
  for (const auto& entry : node.entries) {
    if (!entry.key->is_scalar()) {
      report_key_not_plain(reader, *entry.key, path);
      continue;
    }
    if (entry.key->text.starts_with("x-")) {
      continue;
    }
    Spec spec{};
    spec.name = entry.key->text;
    spec.pos = entry.key->pos;
    read_fields<Spec>(reader, *entry.value, join_path(path, spec.name), fields, spec);
    require_keys(reader, *entry.value, *entry.key, join_path(path, spec.name), required);
    specs.push_back(std::move(spec));
  }
  return specs;
}

const Field<Extension> kExtensionFields[] = {
    {"container",
     [](Reader& r, const Node& v, std::string_view p, Extension& e) { e.container = r.read_string(v, p); }},
    {"keep_runs",
     [](Reader& r, const Node& v, std::string_view p, Extension& e) { e.keep_runs = r.read_int(v, p, 1, 1000000); }},
    {"images", [](Reader& r, const Node& v, std::string_view p,
                  Extension& e) { e.images = read_named<ImageSpec>(r, v, p, kImageFields, {"repository"}); }},
    {"database",
     [](Reader& r, const Node& v, std::string_view p, Extension& e) {
       DatabaseSpec spec;
       spec.pos = v.pos;
       read_fields<DatabaseSpec>(r, v, p, kDatabaseFields, spec);
       e.database = std::move(spec);
     }},
    {"services", [](Reader& r, const Node& v, std::string_view p,
                    Extension& e) { e.services = read_named<ServiceSpec>(r, v, p, kServiceFields, {"image"}); }},
    {"publish", [](Reader& r, const Node& v, std::string_view p,
                   Extension& e) { e.publish = read_named<PublishSpec>(r, v, p, kPublishFields, {"image"}); }},
};

} // namespace

void read_extension(Reader& reader, const Node& node, std::string_view path, Extension& out)
{
  out.present = true;
  out.pos = node.pos;
  read_fields<Extension>(reader, node, path, kExtensionFields, out);
}

void read_step_extension(Reader& reader, const Node& node, std::string_view path, StepExtension& out)
{
  read_fields<StepExtension>(reader, node, path, kStepFields, out);
}

void read_deployment_extension(Reader& reader, const Node& node, std::string_view path, Deployment& out)
{
  read_fields<Deployment>(reader, node, path, kDeploymentExtensionFields, out);
}

std::vector<KindKeys> extension_key_tables()
{
  return {
      {"step_extension", keys_of(kStepFields)},
      {"deployment_extension", keys_of(kDeploymentExtensionFields)},
      {"extension", keys_of(kExtensionFields)},
      {"image", keys_of(kImageFields)},
      {"database_spec", keys_of(kDatabaseFields)},
      {"service", keys_of(kServiceFields)},
      {"readiness", keys_of(kReadinessFields)},
      {"publish", keys_of(kPublishFields)},
      {"login", keys_of(kLoginFields)},
  };
}

} // namespace drydock::config
