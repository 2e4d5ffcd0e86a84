// The typed model: values and positions the later layers rely on.
#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace drydock;
using namespace drydock::config;

namespace {
Config load_valid(const std::string& yaml)
{
  auto result = validate_text("t.yml", yaml);
  INFO(fmt::format("{}", fmt::join(test::messages(result.diagnostics), "\n")));
  REQUIRE_FALSE(result.diagnostics.has_errors());
  return std::move(result.config);
}
} // namespace

TEST_CASE("commands keep their text, position and modifiers", "[loader]")
{
  const auto config = load_valid(R"(test:
  override:
    - make test
    - bundle install:
        timeout: 240
        pwd: api
        environment:
          RAILS_ENV: test
        parallel: true
        files: [a.rb, b.rb]
        background: true
)");
  REQUIRE(config.test.override_);
  const auto& commands = config.test.override_->commands;
  REQUIRE(commands.size() == 2);
  CHECK(commands[0].text == "make test");
  CHECK(commands[0].pos == Pos{3, 7});
  CHECK_FALSE(commands[0].timeout);
  const Command& install = commands[1];
  CHECK(install.text == "bundle install");
  CHECK(install.pos == Pos{4, 7});
  CHECK(install.timeout == 240);
  REQUIRE(install.pwd);
  CHECK(install.pwd->value == "api");
  REQUIRE(install.environment.size() == 1);
  CHECK(install.environment[0].name == "RAILS_ENV");
  CHECK(install.environment[0].value == "test");
  CHECK(install.parallel == true);
  REQUIRE(install.files.size() == 2);
  CHECK(install.files[1].value == "b.rb");
  CHECK(install.background);
  CHECK(config.test.override_->pos == Pos{3, 5});
}

TEST_CASE("a command list key with nothing under it is an empty list, as CircleCI 1.0 read it", "[loader]")
{
  const auto result = validate_text("t.yml", "machine:\n  pre:\ntest:\n  override: [make]\n  post:\n"
                                             "deployment:\n  p:\n    branch: x\n    commands: ~\n"
                                             "    heroku: {appname: a}\n");
  CHECK(test::messages(result.diagnostics)
        == std::vector<std::string>{"10:13: warning: 'deployment.p.heroku': drydock does not deploy to Heroku (no "
                                    "git push to a); the section has no commands, so it runs nothing"});
  const Config& config = result.config;
  REQUIRE(config.test.post);
  CHECK(config.test.post->commands.empty());
  REQUIRE(config.machine.pre);
  CHECK(config.machine.pre->commands.empty());
  REQUIRE(config.deployment.at(0).commands);
  CHECK(config.deployment.at(0).commands->commands.empty());
}

TEST_CASE("plain numbers and booleans in command lists are command text", "[loader]")
{
  const auto config = load_valid("test:\n  override:\n    - true\n    - 42\n");
  REQUIRE(config.test.override_);
  CHECK(config.test.override_->commands[0].text == "true");
  CHECK(config.test.override_->commands[1].text == "42");
}

TEST_CASE("machine settings are read in full", "[loader][machine]")
{
  const auto config = load_valid(R"(machine:
  environment:
    PATH: "/opt/bin:${PATH}"
  services: [docker, postgresql]
  hosts:
    db.local: 127.0.0.1
  timezone: America/Los_Angeles
  python:
    version: 3.5
  pre:
    - echo pre
)");
  const Machine& m = config.machine;
  CHECK(m.present);
  REQUIRE(m.environment.size() == 1);
  CHECK(m.environment[0].value == "/opt/bin:${PATH}");
  REQUIRE(m.services.size() == 2);
  CHECK(m.services[1].value == "postgresql");
  REQUIRE(m.hosts.size() == 1);
  CHECK(m.hosts[0].name == "db.local");
  CHECK(m.hosts[0].address == "127.0.0.1");
  REQUIRE(m.timezone);
  CHECK(m.timezone->value == "America/Los_Angeles");
  REQUIRE(m.languages.size() == 1);
  CHECK(m.languages[0].language == "python");
  CHECK(m.languages[0].version == "3.5"); // the source text, not a float
  REQUIRE(m.pre);
  CHECK(m.pre->commands[0].text == "echo pre");
}

TEST_CASE("deployment sections keep their order, patterns and commands", "[loader][deployment]")
{
  const auto config = load_valid(R"(deployment:
  production:
    branch: master
    owner: acme
    commands: [./deploy.sh prod]
  staging:
    branch: [dev_alice, /feature_.*/]
    commands: [./deploy.sh staging]
  release:
    tag: /^v[0-9]+$/
    heroku:
      appname: foo-bar-123
)");
  REQUIRE(config.deployment.size() == 3);
  CHECK(config.deployment[0].name == "production");
  CHECK(config.deployment[0].pos == Pos{2, 3});
  REQUIRE(config.deployment[0].branch.size() == 1);
  CHECK_FALSE(config.deployment[0].branch[0].is_regex);
  CHECK(config.deployment[0].owner->value == "acme");
  const auto& staging = config.deployment[1].branch;
  REQUIRE(staging.size() == 2);
  CHECK(staging[1].is_regex);
  CHECK(staging[1].text == "feature_.*");
  CHECK(config.deployment[2].tag[0].text == "^v[0-9]+$");
  CHECK(config.deployment[2].heroku_appname->value == "foo-bar-123");
}

TEST_CASE("general, notify and experimental are read", "[loader]")
{
  const auto config = load_valid(R"(general:
  branches:
    ignore: [gh-pages, /tmp-.*/]
  build_dir: api
  artifacts: [out/report.html]
notify:
  webhooks:
    - url: https://example.invalid/hook
experimental:
  notify:
    branches:
      only: [master]
)");
  CHECK(config.general.branches.ignore.size() == 2);
  CHECK(config.general.branches.ignore[1].is_regex);
  CHECK(config.general.build_dir->value == "api");
  CHECK(config.general.artifacts[0].value == "out/report.html");
  REQUIRE(config.notify.webhooks.size() == 1);
  CHECK(config.notify.webhooks[0].value == "https://example.invalid/hook");
  CHECK(config.experimental.notify_branches.only[0].text == "master");
}

TEST_CASE("merged modifiers reach the model", "[loader][merge]")
{
  const auto config = load_valid(R"(x-slow: &slow
  timeout: 900
  environment: {A: "1"}
test:
  override:
    - rspec:
        <<: *slow
        timeout: 1200
)");
  const Command& rspec = config.test.override_->commands.at(0);
  CHECK(rspec.timeout == 1200);
  REQUIRE(rspec.environment.size() == 1);
  CHECK(rspec.environment[0].name == "A");
}

TEST_CASE("the drydock extension is read into its own model", "[loader][extension]")
{
  const auto config = load_valid(test::read_text(test::test_dir() / "corpus/valid/kitchen_sink.yml"));
  const Extension& ext = config.drydock;
  CHECK(ext.present);
  REQUIRE(ext.images.size() == 1);
  const ImageSpec& app = ext.images[0];
  CHECK(app.name == "app");
  CHECK(app.repository.value == "acme/app");
  CHECK(app.inputs.at(0).value == "requirements/*.txt");
  CHECK(app.build_args.at(0).name == "PYTHON_VERSION");
  CHECK(app.keep == 3);
  REQUIRE(ext.database);
  CHECK(ext.database->provider == DatabaseProvider::cluster);
  CHECK(ext.database->databases.at(0).value == "test_app");
  REQUIRE(ext.services.size() == 2);
  const ServiceSpec& cache = ext.services[0];
  CHECK(cache.command.size() == 3);
  CHECK(cache.ports == std::vector<int>{6379});
  CHECK(cache.depends_on.at(0).value == "store");
  REQUIRE(cache.ready);
  CHECK(cache.ready->timeout == 30);
  CHECK(cache.ready->log->value == "Ready to accept connections");
  REQUIRE(ext.publish.size() == 1);
  CHECK(ext.publish[0].precision == 2);
  CHECK(ext.publish[0].semver);
  CHECK(ext.publish[0].login->password_env.value == "REGISTRY_PASSWORD");
  const Command& check = config.test.override_->commands.at(0);
  CHECK(check.drydock.id->value == "unit");
  CHECK(check.drydock.requires_.at(0).value == "deps");
  CHECK(check.drydock.concurrent);
  CHECK(check.drydock.image->value == "app");
  CHECK(check.drydock.database);
  CHECK(config.deployment.at(0).publish.at(0).value == "hub");
}

TEST_CASE("defaults apply where the extension says nothing", "[loader][extension]")
{
  const auto config = load_valid("drydock:\n  images:\n    app:\n      repository: a/b\n  database: {}\n");
  const ImageSpec& app = config.drydock.images.at(0);
  CHECK(app.dockerfile.value == "Dockerfile");
  CHECK(app.context.value == ".");
  CHECK(app.keep == 2);
  CHECK(config.drydock.database->alias == "postgresdb");
  CHECK(config.drydock.database->user == "ubuntu");
  CHECK(config.drydock.database->env == "DATABASE_URL");
}

TEST_CASE("x- keys are ignored wherever keys are fixed", "[loader]")
{
  const auto messages = test::validate_messages("x-top: 1\ntest:\n  x-note: hi\n  override:\n    - make:\n        "
                                                "x-why: slow\n");
  CHECK(messages.empty());
}
