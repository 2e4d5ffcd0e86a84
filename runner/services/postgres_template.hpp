#pragma once
// The throwaway cluster's template: initdb runs once per PostgreSQL
// version, server user and initdb settings, into drydock's cache
// directory; each run copies it. A template is complete or absent: it is
// built in a hidden folder and renamed into place, its marker written
// last, and a template failing its check is built again.
#include <tl/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace drydock::services {

// What initdb bakes into a cluster, and the roles and databases made in
// it before it is saved, hence what a template is keyed by. Settings
// written per copy (port, addresses, socket, pg_hba) are not.
struct TemplateInputs {
  std::string version;                  // `postgres --version`
  std::string server_user;              // the cluster's superuser and files' owner
  std::vector<std::string> initdb_args; // encoding, auth, WAL segment size...
  std::vector<std::string> roles;       // "user NAME", "database NAME", in the order made
};

// "15" from "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"; empty
// when the text holds no version.
std::string major_version(std::string_view version_text);

// The template's folder name: pg<major>-<hash of every input>.
std::string template_key(const TemplateInputs& inputs);

// The marker's content: the inputs, one per line, so a template describes
// itself and a hash collision still fails the check.
std::string marker_text(const TemplateInputs& inputs);

// The marker's name inside a template folder; its data is in `data`.
inline constexpr std::string_view kTemplateMarker = "drydock-template";

// Nothing when `dir` holds a complete template for these inputs, owned by
// `owner_uid`; else why not ("no PG_VERSION", "no marker", ...).
tl::expected<void, std::string> check_template(const std::string& dir, const TemplateInputs& inputs,
                                               unsigned owner_uid);

// Where templates are kept: $XDG_CACHE_HOME/drydock/postgres, else
// HOME/.cache/drydock/postgres (as the other caches are chosen).
std::string template_root(std::string_view xdg_cache_home, std::string_view home);

// Copies a freshly made data folder (the server stopped, no per-run
// settings yet) into root/key: a hidden folder first, the marker last,
// then a rename. When another run got there first with a good template,
// this copy is discarded; a bad one in the way is moved aside first.
tl::expected<void, std::string> save_template(const std::string& data_dir, const std::string& root,
                                              const TemplateInputs& inputs, unsigned owner_uid);

// `postgres --version` of the server binary `postgres`, remembered in
// root/versions by the binary's inode, size and change time: asking the
// binary costs a process on every run.
tl::expected<std::string, std::string> server_version(const std::string& postgres, const std::string& root);

// Copies the template's data folder to `to` (a reflink where the file
// system can), keeping owners and modes.
tl::expected<void, std::string> copy_data(const std::string& from, const std::string& to);

} // namespace drydock::services
