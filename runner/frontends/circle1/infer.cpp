#include "frontends/circle1/infer.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace drydock::circle1 {
namespace {

struct Language {
  std::vector<std::string> dependencies;
  std::vector<std::string> database;
  std::vector<std::string> test;
  std::string because;
};

bool has_test_script(const BuildFiles& files)
{
  const auto package = nlohmann::json::parse(files.read("package.json"), nullptr, false);
  return package.is_object() && package.contains("scripts") && package["scripts"].is_object()
         && package["scripts"].contains("test");
}

// The first language whose marker file is there, as CircleCI 1.0 looked.
std::optional<Language> detect(const BuildFiles& files)
{
  if (files.exists("Gemfile")) {
    Language ruby{{"bundle check --path=vendor/bundle || bundle install --path=vendor/bundle"}, {}, {}, "Gemfile"};
    if (files.exists("config/database.yml")) {
      ruby.database = {"bundle exec rake db:create db:schema:load"};
    }
    if (files.exists("spec")) {
      ruby.test.emplace_back("bundle exec rspec");
    } else if (files.exists("test")) {
      ruby.test.emplace_back("bundle exec rake test");
    }
    if (files.exists("features")) {
      ruby.test.emplace_back("bundle exec cucumber");
    }
    return ruby;
  }
  if (files.exists("package.json")) {
    Language node{{"npm install"}, {}, {}, "package.json"};
    if (has_test_script(files)) {
      node.test = {"npm test"};
    }
    return node;
  }
  if (files.exists("requirements.txt") || files.exists("setup.py")) {
    Language python{{}, {}, {}, files.exists("requirements.txt") ? "requirements.txt" : "setup.py"};
    python.dependencies = {files.exists("requirements.txt") ? "pip install -r requirements.txt" : "pip install ."};
    python.test = {files.exists("tox.ini")     ? "tox"
                   : files.exists("manage.py") ? "python manage.py test"
                   : files.exists("setup.py")  ? "python setup.py test"
                                               : "nosetests"};
    return python;
  }
  if (files.exists("composer.json")) {
    Language php{{"composer install --no-interaction"}, {}, {}, "composer.json"};
    if (files.exists("phpunit.xml") || files.exists("phpunit.xml.dist")) {
      php.test = {"phpunit"};
    }
    return php;
  }
  if (files.exists("project.clj")) {
    return Language{{"lein deps"}, {}, {"lein test"}, "project.clj"};
  }
  if (files.exists("go.mod") || files.exists("main.go")) {
    return Language{{"go get -t -d -v ./...", "go build -v"},
                    {},
                    {"go test -v -race ./..."},
                    files.exists("go.mod") ? "go.mod" : "main.go"};
  }
  return std::nullopt;
}

void add(std::vector<InferredPhase>& out, const config::Phase& phase, const char* name,
         const std::vector<std::string>& commands, const std::string& because)
{
  if (!phase.override_ && !commands.empty()) {
    out.push_back({name, commands, because});
  }
}

} // namespace

BuildFiles files_in(const std::string& build_dir)
{
  const fs::path root(build_dir);
  return {[root](const std::string& path) {
            std::error_code ec;
            return fs::exists(root / path, ec);
          },
          [root](const std::string& path) {
            std::ifstream in(root / path, std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            return text.str();
          }};
}

std::vector<InferredPhase> infer_commands(const config::Config& config, const BuildFiles& files)
{
  std::vector<InferredPhase> out;
  const auto language = detect(files);
  if (!language) {
    return out;
  }
  add(out, config.dependencies, "dependencies", language->dependencies, language->because);
  add(out, config.database, "database", language->database, "config/database.yml");
  add(out, config.test, "test", language->test, language->because);
  return out;
}

} // namespace drydock::circle1
