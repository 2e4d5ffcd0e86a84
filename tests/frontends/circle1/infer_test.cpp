#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "frontends/circle1/infer.hpp"
#include "frontends/circle1/lower.hpp"
#include "test_support.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

namespace {

// A build directory of these paths (and file texts), no disk.
circle1::BuildFiles fake_files(std::set<std::string> paths, std::map<std::string, std::string> texts = {})
{
  return {[paths](const std::string& path) { return paths.contains(path); },
          [texts](const std::string& path) {
            const auto found = texts.find(path);
            return found == texts.end() ? std::string() : found->second;
          }};
}

std::vector<std::string> shown(const std::vector<circle1::InferredPhase>& phases)
{
  std::vector<std::string> out;
  for (const auto& phase : phases) {
    out.push_back(fmt::format("{}: {} ({})", phase.phase, fmt::join(phase.commands, "; "), phase.because));
  }
  return out;
}

} // namespace

TEST_CASE("inference: each language's marker file and CircleCI 1.0's commands for it", "[circle1][infer]")
{
  const auto config = test::load("test:\n  post: [echo done]\n");
  CHECK(shown(circle1::infer_commands(config, fake_files({"Gemfile", "spec", "features", "config/database.yml"})))
        == Strings{"dependencies: bundle check --path=vendor/bundle || bundle install --path=vendor/bundle (Gemfile)",
                   "database: bundle exec rake db:create db:schema:load (config/database.yml)",
                   "test: bundle exec rspec; bundle exec cucumber (Gemfile)"});
  CHECK(shown(circle1::infer_commands(config, fake_files({"package.json"},
                                                         {{"package.json", R"({"scripts":{"test":"jest"}})"}})))
        == Strings{"dependencies: npm install (package.json)", "test: npm test (package.json)"});
  CHECK(shown(circle1::infer_commands(config, fake_files({"package.json"}, {{"package.json", "{not json"}})))
        == Strings{"dependencies: npm install (package.json)"}); // no test script to run
  CHECK(shown(circle1::infer_commands(config, fake_files({"requirements.txt", "tox.ini"})))
        == Strings{"dependencies: pip install -r requirements.txt (requirements.txt)", "test: tox (requirements.txt)"});
  CHECK(shown(circle1::infer_commands(config, fake_files({"setup.py"})))
        == Strings{"dependencies: pip install . (setup.py)", "test: python setup.py test (setup.py)"});
  CHECK(shown(circle1::infer_commands(config, fake_files({"composer.json", "phpunit.xml.dist"})))
        == Strings{"dependencies: composer install --no-interaction (composer.json)", "test: phpunit (composer.json)"});
  CHECK(shown(circle1::infer_commands(config, fake_files({"project.clj"})))
        == Strings{"dependencies: lein deps (project.clj)", "test: lein test (project.clj)"});
  CHECK(shown(circle1::infer_commands(config, fake_files({"go.mod"})))
        == Strings{"dependencies: go get -t -d -v ./...; go build -v (go.mod)", "test: go test -v -race ./... "
                                                                                "(go.mod)"});
  CHECK(circle1::infer_commands(config, fake_files({"README.md"})).empty());
}

TEST_CASE("inference: an override, even an empty one, replaces what would be inferred", "[circle1][infer]")
{
  const auto config = test::load("dependencies:\n  override: []\ntest:\n  override: [make check]\n");
  CHECK(circle1::infer_commands(config, fake_files({"package.json"}, {{"package.json", R"({"scripts":{"test":"x"}})"}}))
            .empty());
}

TEST_CASE("with --infer the inferred commands go where override would, after pre and before post", "[circle1][infer]")
{
  const auto config = test::load("dependencies:\n  pre: [d-pre]\n  post: [d-post]\ntest:\n  pre: [t-pre]\n");
  const auto inferred = circle1::infer_commands(config, fake_files({"package.json"},
                                                                   {{"package.json", R"({"scripts":{"test":"x"}})"}}));
  Diagnostics diags;
  const auto graph = circle1::lower(config, {}, std::nullopt, diags, inferred);
  REQUIRE_FALSE(diags.has_errors());
  CHECK(test::edges(graph)
        == Strings{"dependencies.pre[0] <- ", "dependencies.inferred[0] <- dependencies.pre[0]",
                   "dependencies.post[0] <- dependencies.inferred[0]", "test.pre[0] <- dependencies.post[0]",
                   "test.inferred[0] <- test.pre[0]"});
  CHECK(graph.steps.at(1).summary == "npm install");
  CHECK(graph.steps.at(4).summary == "npm test");
}
