#include <catch2/catch.hpp>

#include "frontends/circle1/actions.hpp"
#include "publish/from_pipeline.hpp"
#include "util/mask.hpp"
#include "test_support.hpp"

using namespace drydock;
using Strings = std::vector<std::string>;

namespace {
constexpr const char* kConfig = R"(drydock:
  images:
    app: {repository: org/app}
  publish:
    hub:
      image: app
      registry: ${REGISTRY_HOST}
      version: ${CIRCLE_TAG}
      semver: true
      latest: true
      login: {username_env: REG_USER, password_env: REG_PASS}
)";
}

TEST_CASE("a leading v is dropped from a version taken from a tag", "[publish]")
{
  CHECK(publish::without_v_prefix("v1.2.3") == "1.2.3");
  CHECK(publish::without_v_prefix("V2") == "2");
  CHECK(publish::without_v_prefix("1.2.3") == "1.2.3");
  CHECK(publish::without_v_prefix("very") == "very");
  CHECK(publish::without_v_prefix("v") == "v");
}

TEST_CASE("a publish entry becomes DCD options from the environment", "[publish]")
{
  const auto config = test::load(kConfig);
  const auto lowered = test::lower(config);
  const auto spec = circle1::publish_action(config.drydock.publish.at(0), config).value();
  auto env = env::Environment::from_entries(
      {"CIRCLE_TAG=v3.1.0", "REGISTRY_HOST=127.0.0.1:5000", "REG_USER=ci", "REG_PASS=hunter2"});
  const auto options = publish::tag_options(spec, env);
  REQUIRE(options);
  CHECK(options->version == "3.1.0");
  CHECK(options->registry == "127.0.0.1:5000");
  CHECK(options->precision == 1);
  const auto plan = publish::plan_tags_from("org/app:sha1", "org/app", *options);
  REQUIRE(plan);
  CHECK(plan->pushes
        == Strings{"127.0.0.1:5000/org/app:3.1.0", "127.0.0.1:5000/org/app:3.1", "127.0.0.1:5000/org/app:3",
                   "127.0.0.1:5000/org/app:latest"});
  const auto login = publish::login_from(spec, env);
  REQUIRE(login);
  REQUIRE(*login);
  CHECK((*login)->registry == "127.0.0.1:5000");
  CHECK((*login)->username == "ci");
  CHECK(publish::secrets_of(lowered, env) == Strings{"hunter2"}); // no deployment runs it; masked all the same

  env.erase("REG_PASS");
  CHECK(publish::login_from(spec, env).error()
        == "publish entry 'hub': the login needs the environment variable REG_PASS, which is not set");
  env.set("CIRCLE_TAG", "");
  CHECK(publish::tag_options(spec, env).error()
        == "publish entry 'hub': the version '${CIRCLE_TAG}' is empty here (not a tag build?)");
}

TEST_CASE("secrets are masked wherever they appear in a line", "[publish][report]")
{
  CHECK(mask_secrets("pw=hunter2 and hunter2hunter2", {"hunter2"}) == "pw=*** and ******");
  CHECK(mask_secrets("nothing here", {"hunter2", ""}) == "nothing here");
  CHECK(mask_secrets("a-b", {"a", "b"}) == "***-***");
}
