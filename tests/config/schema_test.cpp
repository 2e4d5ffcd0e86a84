// The JSON Schema and the loader must agree: the same keys in every mapping
// kind, the same verdict on valid files, and a schema that parses.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "config/loader.hpp"
#include "config/schema.hpp"
#include "config/yaml_tree.hpp"
#include "test_support.hpp"

using namespace drydock;
using namespace drydock::config;

namespace {

nlohmann::json schema_file() { return nlohmann::json::parse(test::read_text(DRYDOCK_SCHEMA_PATH)); }

std::set<std::string> schema_keys(const nlohmann::json& definition)
{
  std::set<std::string> keys;
  for (const auto& [key, value] : definition.at("properties").items()) {
    keys.insert(key);
  }
  return keys;
}

void collect_keys(const Node& node, std::set<std::string>& keys)
{
  for (const auto& item : node.items) {
    collect_keys(*item, keys);
  }
  for (const auto& entry : node.entries) {
    keys.insert(entry.key->text);
    collect_keys(*entry.value, keys);
  }
}

} // namespace

TEST_CASE("the schema built into the binary is schema/drydock.schema.json", "[schema]")
{
  CHECK(nlohmann::json::parse(schema_text()) == schema_file());
}

TEST_CASE("every mapping kind has the same keys in the schema and in the loader", "[schema][agreement]")
{
  const auto definitions = schema_file().at("definitions");
  std::set<std::string> loader_kinds;
  for (const auto& table : loader_key_tables()) {
    INFO("kind " << table.kind);
    loader_kinds.insert(table.kind);
    REQUIRE(definitions.contains(table.kind));
    const std::set<std::string> loader_keys(table.keys.begin(), table.keys.end());
    CHECK(schema_keys(definitions.at(table.kind)) == loader_keys);
    CHECK(definitions.at(table.kind).at("additionalProperties") == false);
  }
  // ...and the schema has no fixed-key mapping the loader does not read.
  for (const auto& [name, definition] : definitions.items()) {
    if (definition.contains("properties")) {
      INFO("schema definition " << name);
      CHECK(loader_kinds.contains(name));
    }
  }
}

TEST_CASE("the kitchen-sink config uses every key and both sides accept it", "[schema][agreement]")
{
  const auto path = test::test_dir() / "corpus/valid/kitchen_sink.yml";
  const SourceFile source("kitchen_sink.yml", test::read_text(path));
  Diagnostics diags;
  const auto root = parse_yaml(source, diags);
  REQUIRE(root);
  std::set<std::string> used;
  collect_keys(*root, used);
  for (const auto& table : loader_key_tables()) {
    for (const auto& key : table.keys) {
      INFO(table.kind << "." << key);
      CHECK(used.contains(key));
    }
  }
  CHECK(SchemaValidator::builtin().validate(*root).empty());
  load_config(root.get(), "kitchen_sink.yml", diags);
  CHECK(test::messages(diags)
        == std::vector<std::string>{"9:5: warning: 'machine.hosts': drydock does not edit this machine's /etc/hosts, "
                                    "so host steps do not see these names; containerized steps and the build "
                                    "container (--container) get them with --add-host",
                                    "12:9: warning: 'machine.ruby': drydock installs no language version; Ruby "
                                    "2.4.1 is not installed and the build uses whatever Ruby this machine or the "
                                    "build container (--container) has",
                                    "13:9: warning: 'machine.node': drydock installs no language version; Node.js "
                                    "6.1.0 is not installed and the build uses whatever Node.js this machine or the "
                                    "build container (--container) has",
                                    "14:9: warning: 'machine.java': drydock installs no language version; Java "
                                    "openjdk8 is not installed and the build uses whatever Java this machine or the "
                                    "build container (--container) has",
                                    "15:8: warning: 'machine.php': drydock installs no language version; PHP 7.0.4 "
                                    "is not installed and the build uses whatever PHP this machine or the build "
                                    "container (--container) has",
                                    "16:11: warning: 'machine.python': drydock installs no language version; Python "
                                    "3.5 is not installed and the build uses whatever Python this machine or the "
                                    "build container (--container) has",
                                    "17:8: warning: 'machine.ghc': drydock installs no language version; GHC 8.0.1 "
                                    "is not installed and the build uses whatever GHC this machine or the build "
                                    "container (--container) has",
                                    "18:10: warning: 'machine.xcode': drydock runs no Xcode; version 8.3 is not "
                                    "installed and the build runs without it",
                                    "47:14: warning: 'dependencies.bundler.without': drydock infers no bundle "
                                    "install, so these groups are not used; for your own bundle install, set "
                                    "BUNDLE_WITHOUT=production",
                                    "71:19: warning: 'test.minitest_globs': drydock infers no test commands, so "
                                    "these globs are not used; the build runs the commands written in 'test'",
                                    "81:7: warning: 'deployment.production.heroku': drydock does not deploy to "
                                    "Heroku (no git push to acme-prod); only the section's commands run",
                                    "94:5: warning: 'notify.webhooks': drydock sends no notifications; these "
                                    "webhooks are not called",
                                    "98:5: warning: 'experimental.notify': drydock sends no notifications, so this "
                                    "filter of chat notifications has no effect"});
}

TEST_CASE("an unknown key is refused by both schema and loader in every kind", "[schema][agreement]")
{
  // One config per kind, each with a stray key where that kind is read.
  const std::map<std::string, std::string> placements = {
      {"config", "bogus: 1\n"},
      {"machine", "machine: {bogus: 1}\n"},
      {"language", "machine: {python: {version: 3, bogus: 1}}\n"},
      {"checkout", "checkout: {bogus: 1}\n"},
      {"dependencies", "dependencies: {bogus: 1}\n"},
      {"bundler", "dependencies: {bundler: {bogus: 1}}\n"},
      {"phase", "compile: {bogus: 1}\n"},
      {"test", "test: {bogus: 1}\n"},
      {"deployment_section", "deployment: {p: {branch: m, commands: [x], bogus: 1}}\n"},
      {"heroku", "deployment: {p: {branch: m, heroku: {appname: a, bogus: 1}}}\n"},
      {"deployment_extension", "deployment: {p: {branch: m, commands: [x], drydock: {bogus: 1}}}\n"},
      {"general", "general: {bogus: 1}\n"},
      {"branch_filter", "general: {branches: {bogus: 1}}\n"},
      {"notify", "notify: {bogus: 1}\n"},
      {"webhook", "notify: {webhooks: [{url: u, bogus: 1}]}\n"},
      {"experimental", "experimental: {bogus: 1}\n"},
      {"experimental_notify", "experimental: {notify: {bogus: 1}}\n"},
      {"modifiers", "test: {override: [{make: {bogus: 1}}]}\n"},
      {"step_extension", "test: {override: [{make: {drydock: {bogus: 1}}}]}\n"},
      {"extension", "drydock: {bogus: 1}\n"},
      {"image", "drydock: {images: {a: {repository: r, bogus: 1}}}\n"},
      {"database_spec", "drydock: {database: {bogus: 1}}\n"},
      {"service", "drydock: {services: {s: {image: i, bogus: 1}}}\n"},
      {"readiness", "drydock: {services: {s: {image: i, ready: {port: 1, bogus: 1}}}}\n"},
      {"publish", "drydock: {publish: {p: {image: a, bogus: 1}}, images: {a: {repository: r}}}\n"},
      {"login", "drydock: {publish: {p: {image: a, login: {username_env: U, password_env: P, bogus: 1}}}, "
                "images: {a: {repository: r}}}\n"},
  };
  for (const auto& table : loader_key_tables()) {
    INFO("kind " << table.kind);
    REQUIRE(placements.contains(table.kind));
    const SourceFile source("t.yml", placements.at(table.kind));
    Diagnostics diags;
    const auto root = parse_yaml(source, diags);
    REQUIRE(root);
    CHECK(SchemaValidator::builtin().validate(*root).size() == 1);
    load_config(root.get(), "t.yml", diags);
    REQUIRE(diags.error_count() == 1);
    CHECK(diags.all()[0].message.starts_with("unknown key 'bogus'"));
  }
}

TEST_CASE("a schema issue the loader does not report is still shown", "[schema]")
{
  // A stricter schema than the built-in one stands for a constraint added to
  // the schema but not yet to the loader: it must not be lost.
  const SchemaValidator strict(R"({"type": "object", "properties": {"test": {"type": "object", "maxProperties": 1}}})");
  const auto result = validate_text("t.yml", "test:\n  pre: [a]\n  post: [b]\n", strict);
  CHECK(test::messages(result.diagnostics)
        == std::vector<std::string>{"2:3: error: at most 1 key is allowed here (schema, at 'test')"});
}

TEST_CASE("to_json types scalars as the YAML core schema does", "[schema]")
{
  const SourceFile source("t.yml", "a: 1\nb: \"1\"\nc: true\nd: ~\ne: 2.5\nf: [x]\n");
  Diagnostics diags;
  const auto root = parse_yaml(source, diags);
  REQUIRE(root);
  CHECK(to_json(*root) == nlohmann::json{{"a", 1}, {"b", "1"}, {"c", true}, {"d", nullptr}, {"e", 2.5}, {"f", {"x"}}});
}

TEST_CASE("schema validation skips x- keys but still refuses other unknown keys", "[schema]")
{
  const SourceFile source("t.yml", "x-anchor: &a {timeout: 1}\nbogus: 1\ntest:\n  x-note: 1\n  stray: 2\n");
  Diagnostics diags;
  const auto root = parse_yaml(source, diags);
  REQUIRE(root);
  const auto issues = SchemaValidator::builtin().validate(*root);
  std::set<std::vector<std::string>> paths;
  for (const auto& issue : issues) {
    const bool names_key = issue.message.find("'bogus'") != std::string::npos
                           || issue.message.find("'stray'") != std::string::npos;
    CHECK(names_key);
    paths.insert(issue.path);
  }
  CHECK(issues.size() == 2);
  CHECK(paths == std::set<std::vector<std::string>>{{}, {"test"}});
}

TEST_CASE("the shipped schema gives names their patterns for editors", "[schema]")
{
  // Through $ref'd definitions: valijson 1.0 checks an inline propertyNames
  // schema of a $ref'd definition against the parent.
  const auto definitions = schema_file().at("definitions");
  CHECK(definitions.at("env").at("propertyNames").at("$ref") == "#/definitions/env_name");
  CHECK(definitions.at("env_name").at("pattern") == "^[A-Za-z_][A-Za-z0-9_]*$");
  CHECK(definitions.at("host_name").at("pattern") == "^[A-Za-z0-9.-]+$");
}

TEST_CASE("bad environment variable and host names are reported once, by the loader", "[schema]")
{
  // The validator drops the schema's `pattern`s (std::regex recursion); the
  // loader reports the same names at their position, and nothing else does.
  CHECK(test::validate_messages("machine: {environment: {GOOD_NAME: 1}, hosts: {db.local: 127.0.0.1}}\n")
        == std::vector<std::string>{"1:47: warning: 'machine.hosts': drydock does not edit this machine's /etc/hosts, "
                                    "so host steps do not see these names; containerized steps and the build "
                                    "container (--container) get them with --add-host"});
  CHECK(test::validate_messages("machine: {environment: {BAD-NAME: 1}}\n")
        == std::vector<std::string>{"1:25: error: 'BAD-NAME' is not a valid environment variable name (letters, "
                                    "digits and _; not starting with a digit)"});
  CHECK(test::validate_messages("machine: {hosts: {bad_host: 127.0.0.1}}\n")
        == std::vector<std::string>{"1:19: error: 'bad_host' is not a valid host name (letters, digits, '-' and "
                                    "'.' only)"});
  CHECK(test::validate_messages("test: {override: [{make: {environment: {9LIVES: x}}}]}\n")
        == std::vector<std::string>{"1:41: error: '9LIVES' is not a valid environment variable name (letters, "
                                    "digits and _; not starting with a digit)"});
}

TEST_CASE("a 100 KB explicit key under machine.environment or machine.hosts does not crash validation", "[schema]")
{
  // std::regex recursed once per character and overflowed the stack.
  const std::string long_name(100000, 'A');
  CHECK(test::validate_messages("machine:\n  environment:\n    ? " + long_name + "\n    : x\n").empty());
  const std::string long_host(100000, 'a');
  const auto long_ok = test::validate_messages("machine:\n  hosts:\n    ? " + long_host + "\n    : 127.0.0.1\n");
  REQUIRE(long_ok.size() == 1); // the note that /etc/hosts is not edited, nothing else
  CHECK(long_ok[0].starts_with("3:5: warning: 'machine.hosts': drydock does not edit"));
  const auto bad = test::validate_messages("machine:\n  hosts:\n    ? " + long_host + "_\n    : 127.0.0.1\n");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].starts_with("3:7: error: '"));
}
