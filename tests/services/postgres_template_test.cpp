#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "exec/run_fixture.hpp"
#include "services/postgres_cluster.hpp"
#include "services/postgres_template.hpp"
#include "test_support.hpp"

using namespace drydock;
namespace fs = std::filesystem;

namespace {

const std::string kVersion = "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n";

services::TemplateInputs inputs(const std::string& user = "postgres")
{
  return {kVersion, user, {"--auth", "trust", "--encoding", "UTF8", "LANG=C.UTF-8"}};
}

void write(const fs::path& file, const std::string& text)
{
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// A template folder as save_template leaves it (the data faked).
void make_template(const fs::path& dir, const services::TemplateInputs& in)
{
  write(dir / "data" / "PG_VERSION", "15\n");
  write(dir / "data" / "base" / "1" / "1259", "pages");
  write(dir / std::string(services::kTemplateMarker), services::marker_text(in));
}

std::string reason(const fs::path& dir, const services::TemplateInputs& in, unsigned uid = ::geteuid())
{
  const auto checked = services::check_template(dir.string(), in, uid);
  return checked ? "usable" : checked.error();
}

int bind_loopback(int port, bool reuse, bool listen)
{
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  if (reuse) {
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const int bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = bound != 0 ? errno : (listen && ::listen(fd, 1) != 0 ? errno : 0);
  ::close(fd);
  return error;
}

} // namespace

TEST_CASE("a template is named by the major version and a hash of everything initdb bakes in", "[services]")
{
  CHECK(services::major_version(kVersion) == "15");
  CHECK(services::major_version("postgres (PostgreSQL) 9.6.24") == "9");
  CHECK(services::major_version("no digits") == "");
  const auto key = services::template_key(inputs());
  CHECK(key.starts_with("pg15-"));
  CHECK(key.size() == 5 + 16);
  CHECK(services::template_key(inputs()) == key);
  CHECK(services::template_key(inputs("me")) != key);
  auto other_version = inputs();
  other_version.version = "postgres (PostgreSQL) 15.19";
  CHECK(services::template_key(other_version) != key);
  auto other_locale = inputs();
  other_locale.initdb_args.back() = "LANG=de_DE.UTF-8";
  CHECK(services::template_key(other_locale) != key);
}

TEST_CASE("a template's marker lists its inputs", "[services]")
{
  CHECK(services::marker_text(inputs())
        == "drydock postgres template 2\n"
           "version: postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"
           "server user: postgres\n"
           "initdb: --auth trust --encoding UTF8 LANG=C.UTF-8\n"
           "roles: \n");
  auto with_roles = inputs();
  with_roles.roles = {"user ubuntu", "database circle_test"};
  CHECK(services::marker_text(with_roles).ends_with("roles: user ubuntu, database circle_test\n"));
  CHECK(services::template_key(with_roles) != services::template_key(inputs()));
}

TEST_CASE("postgres's version is asked once per binary, then read from the cache", "[services]")
{
  test::ScratchDir scratch;
  const fs::path binary = scratch.path() / "postgres";
  write(binary, "#!/bin/sh\necho 'postgres (PostgreSQL) 15.18'\necho asked >>\"$0.calls\"\n");
  fs::permissions(binary, fs::perms::owner_all);
  const std::string root = (scratch.path() / "cache").string();
  CHECK(services::server_version(binary.string(), root) == "postgres (PostgreSQL) 15.18\n");
  CHECK(services::server_version(binary.string(), root) == "postgres (PostgreSQL) 15.18\n");
  CHECK(test::read_text(binary.string() + ".calls") == "asked\n");
  // A new binary (another inode, size, change time) is asked again.
  fs::remove(binary);
  write(binary, "#!/bin/sh\necho 'postgres (PostgreSQL) 15.19 (Debian)'\necho asked >>\"$0.calls\"\n");
  fs::permissions(binary, fs::perms::owner_all);
  CHECK(services::server_version(binary.string(), root) == "postgres (PostgreSQL) 15.19 (Debian)\n");
  CHECK(test::read_text(binary.string() + ".calls") == "asked\nasked\n");
  // No cache root: asked every time.
  CHECK(services::server_version(binary.string(), "") == "postgres (PostgreSQL) 15.19 (Debian)\n");
  CHECK(test::read_text(binary.string() + ".calls") == "asked\nasked\nasked\n");
  const auto missing = services::server_version((scratch.path() / "none").string(), root);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().starts_with("cannot find "));
}

TEST_CASE("templates are kept in drydock's cache directory", "[services]")
{
  CHECK(services::template_root("/xdg", "/home/me") == "/xdg/drydock/postgres");
  CHECK(services::template_root("", "/home/me") == "/home/me/.cache/drydock/postgres");
}

TEST_CASE("a template is used only when complete, for the same inputs and owner", "[services]")
{
  test::ScratchDir scratch;
  const fs::path dir = scratch.path() / "pg15-x";
  CHECK(reason(dir, inputs()) == "no data folder");
  make_template(dir, inputs());
  CHECK(reason(dir, inputs()) == "usable");
  CHECK(reason(dir, inputs("me")) == "its drydock-template marker is for other inputs");
  CHECK(reason(dir, inputs(), ::geteuid() + 1)
        == fmt::format("its data is owned by uid {}, not {}", ::geteuid(), ::geteuid() + 1));
  write(dir / "data" / "PG_VERSION", "14\n");
  CHECK(reason(dir, inputs()) == "PG_VERSION says '14', not '15'");
  fs::remove(dir / "data" / "PG_VERSION");
  CHECK(reason(dir, inputs()) == "no PG_VERSION");
  make_template(dir, inputs());
  fs::remove(dir / std::string(services::kTemplateMarker));
  CHECK(reason(dir, inputs()) == "no drydock-template marker");
}

TEST_CASE("saving a template renames a whole copy into place, or keeps a good one there", "[services]")
{
  test::ScratchDir scratch;
  const fs::path root = scratch.path() / "cache";
  const fs::path fresh = scratch.path() / "fresh";
  write(fresh / "PG_VERSION", "15\n");
  write(fresh / "base" / "1" / "1259", "new pages");
  const fs::path dir = root / services::template_key(inputs());

  REQUIRE(services::save_template(fresh.string(), root.string(), inputs(), ::geteuid()));
  CHECK(reason(dir, inputs()) == "usable");
  CHECK(test::read_text(dir / "data" / "base" / "1" / "1259") == "new pages");
  CHECK(test::files_in(root) == std::vector<std::string>{dir.filename().string()});

  // A second builder (a concurrent run) finds a good one: its copy goes.
  write(fresh / "base" / "1" / "1259", "other pages");
  REQUIRE(services::save_template(fresh.string(), root.string(), inputs(), ::geteuid()));
  CHECK(test::read_text(dir / "data" / "base" / "1" / "1259") == "new pages");
  CHECK(test::files_in(root) == std::vector<std::string>{dir.filename().string()});

  // A broken one is replaced.
  fs::remove(dir / std::string(services::kTemplateMarker));
  REQUIRE(services::save_template(fresh.string(), root.string(), inputs(), ::geteuid()));
  CHECK(reason(dir, inputs()) == "usable");
  CHECK(test::read_text(dir / "data" / "base" / "1" / "1259") == "other pages");
  CHECK(test::files_in(root) == std::vector<std::string>{dir.filename().string()});
}

TEST_CASE("a copy of the data keeps its files and modes", "[services]")
{
  test::ScratchDir scratch;
  write(scratch.path() / "from" / "global" / "pg_control", "control");
  fs::permissions(scratch.path() / "from", fs::perms::owner_all);
  REQUIRE(services::copy_data((scratch.path() / "from").string(), (scratch.path() / "to").string()));
  CHECK(test::read_text(scratch.path() / "to" / "global" / "pg_control") == "control");
  CHECK(fs::status(scratch.path() / "to").permissions() == fs::perms::owner_all);
  const auto refused = services::copy_data((scratch.path() / "absent").string(), (scratch.path() / "x").string());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().starts_with("cannot copy " + (scratch.path() / "absent").string() + " to "));
}

TEST_CASE("the user and databases are created by psql variables, never spliced names", "[services]")
{
  CHECK(services::roles_script(true, 2)
        == "CREATE ROLE :\"user\" SUPERUSER LOGIN;\n"
           "CREATE DATABASE :\"db0\" OWNER :\"user\" STRATEGY FILE_COPY;\n"
           "CREATE DATABASE :\"db1\" OWNER :\"user\" STRATEGY FILE_COPY;\n");
  CHECK(services::roles_script(false, 1) == "CREATE DATABASE :\"db0\" OWNER :\"user\" STRATEGY FILE_COPY;\n");
}

TEST_CASE("a reserved port is kept from other programs, but a server can still listen on it", "[services]")
{
  const auto reserved = services::reserve_port();
  REQUIRE(reserved);
  CHECK(reserved->port > 0);
  CHECK(bind_loopback(reserved->port, false, false) == EADDRINUSE);
  CHECK(bind_loopback(reserved->port, true, true) == 0); // as postgres binds: SO_REUSEADDR
  ::close(reserved->fd);
  CHECK(bind_loopback(reserved->port, false, false) == 0);
}
