// `drydock agent`: a self-hosted CI agent (agent/agent.hpp) over the state
// folder's SQLite store; `drydock agent enqueue` queues a build by hand.
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>

#include "agent/agent.hpp"
#include "agent/clock.hpp"
#include "agent/repos_file.hpp"
#include "agent/sources.hpp"
#include "cli/commands.hpp"
#include "cli/pipeline.hpp"
#include "docker/leftovers.hpp"
#include "report/text_report.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;

namespace drydock::cli {
namespace {

struct AgentCliOptions {
  std::vector<std::string> repos;
  std::string repos_file; // --repos FILE
  std::vector<std::string> branches;
  std::vector<std::string> tags;
  std::string state;
  std::string name;
  int jobs = 1;
  double poll_interval_s = 60;
  bool no_poll = false;
  bool no_coalesce = false;
  bool requeue_lost = false;
  std::string listen = "127.0.0.1:8080";
  bool no_web = false;
  bool reads_need_token = false; // --reads-need-token: on loopback too (a machine shared with others)
  std::string token_file;
  std::string hook_secret_file;
  std::string secrets_dir;
  std::string status_url;
  std::string status_token_file;
  std::string database;      // --database postgresql://...: shared with other agents
  std::string database_file; // --database-file: that URL's file
  std::string public_url;    // --public-url: how others reach the UI
};

struct EnqueueOptions {
  std::string state;
  std::string database;
  std::string database_file;
  std::string repo;
  std::string ref;
};

void say(const std::string& line)
{
  const auto now = std::chrono::system_clock::now();
  fmt::print(stderr, "{:%Y-%m-%dT%H:%M:%S}Z drydock agent: {}\n",
             fmt::gmtime(std::chrono::system_clock::to_time_t(now)), line);
}

// STATE/agent.db, or the PostgreSQL database several agents share.
agent::Result<std::unique_ptr<agent::Store>> open_store(const std::string& state, const std::string& database)
{
  return database.empty() ? agent::open_sqlite_store((fs::path(state) / "agent.db").string())
                          : agent::open_postgres_store(database);
}

// A secret's file: its first line, without the line end.
tl::expected<std::string, std::string> read_secret(const std::string& file, const char* what)
{
  auto text = read_config_file(file);
  if (!text) {
    return tl::unexpected(fmt::format("cannot read the {} {}: {}", what, file, text.error()));
  }
  auto line = text->substr(0, text->find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  if (line.empty()) {
    return tl::unexpected(fmt::format("the {} {} is empty", what, file));
  }
  return line;
}

// --database's URL, or the first line of --database-file: a password in a
// URL on the command line is in every process list.
tl::expected<std::string, std::string> database_of(const std::string& url, const std::string& file)
{
  return file.empty() ? tl::expected<std::string, std::string>(url) : read_secret(file, "database file");
}

tl::expected<std::pair<std::string, std::uint16_t>, std::string> parse_listen(const std::string& listen)
{
  const auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon + 1 < listen.size() && listen.size() - colon <= 6) {
    port = std::stoi("0" + listen.substr(colon + 1).substr(0, 5));
  }
  const bool digits = colon != std::string::npos
                      && listen.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  if (!digits || port < 0 || port > 65535 || colon == 0) {
    return tl::unexpected(fmt::format("--listen takes ADDRESS:PORT (such as 127.0.0.1:8080), not '{}'", listen));
  }
  return std::pair{listen.substr(0, colon), static_cast<std::uint16_t>(port)};
}

// --repos FILE's repositories; its problems printed as FILE:LINE:COL.
tl::expected<std::vector<agent::RepoSpec>, std::string> repos_of_file(const std::string& path)
{
  auto text = read_config_file(path);
  if (!text) {
    return tl::unexpected(fmt::format("cannot read {}: {}", path, text.error()));
  }
  const SourceFile source(path, std::move(*text));
  Diagnostics diags;
  auto repos = agent::read_repos_file(source, diags);
  if (diags.has_errors()) {
    return tl::unexpected(report::format_file_report(source, diags));
  }
  return repos;
}

// A repository of --repo or --repos, with what the command line adds.
tl::expected<void, std::string> add_spec(std::vector<agent::RepoSpec>& specs, agent::RepoSpec spec,
                                         const AgentCliOptions& options)
{
  for (const auto& other : specs) {
    if (other.name == spec.name) {
      return tl::unexpected(fmt::format("{} and {} are both named {}", other.url, spec.url, spec.name));
    }
  }
  // Absolute: the build runs in its checkout, not here.
  const auto secrets = fs::absolute(fs::path(options.secrets_dir) / (spec.name + ".env")).lexically_normal();
  if (spec.secrets_file.empty() && !options.secrets_dir.empty() && fs::exists(secrets)) {
    spec.secrets_file = secrets.string();
  }
  specs.push_back(std::move(spec));
  return {};
}

tl::expected<std::vector<agent::RepoSpec>, std::string> repo_specs(const AgentCliOptions& options)
{
  std::vector<agent::RepoSpec> specs;
  if (!options.repos_file.empty()) {
    auto listed = repos_of_file(options.repos_file);
    if (!listed) {
      return tl::unexpected(listed.error());
    }
    for (auto& spec : *listed) {
      if (auto added = add_spec(specs, std::move(spec), options); !added) {
        return tl::unexpected(added.error());
      }
    }
  }
  for (const auto& url : options.repos) {
    agent::RepoSpec spec;
    spec.url = fs::exists(url) ? fs::absolute(url).lexically_normal().string() : url;
    spec.name = agent::repo_name_of(spec.url);
    if (spec.name.empty()) {
      return tl::unexpected(fmt::format("--repo {}: no repository name in it", url));
    }
    if (!options.branches.empty()) {
      spec.branches = options.branches;
    }
    spec.tags = options.tags;
    if (auto added = add_spec(specs, std::move(spec), options); !added) {
      return tl::unexpected(added.error());
    }
  }
  return specs;
}

// One agent per state folder: its mirrors and build folders are its own.
tl::expected<int, std::string> lock_state(const std::string& state)
{
  std::error_code ec;
  if (!fs::exists(state, ec) && fs::create_directories(state, ec)) {
    fs::permissions(state, fs::perms::owner_all, fs::perm_options::replace, ec); // new: private
  }
  const auto path = (fs::path(state) / "agent.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return tl::unexpected(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return tl::unexpected(fmt::format("another drydock agent uses {}", state));
  }
  return fd;
}

tl::expected<agent::AgentOptions, std::string> agent_options(const AgentCliOptions& cli)
{
  agent::AgentOptions options;
  auto repos = repo_specs(cli);
  if (!repos) {
    return tl::unexpected(repos.error());
  }
  options.repos = std::move(*repos);
  options.state_dir = fs::absolute(cli.state).lexically_normal().string();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  options.name = cli.name.empty() ? std::string(host) : cli.name;
  options.instance = options.name + "/" + docker::owner_of(::getpid());
  options.jobs = cli.jobs;
  options.poll = !cli.no_poll;
  options.poll_interval = std::chrono::milliseconds(static_cast<std::int64_t>(cli.poll_interval_s * 1000));
  options.coalesce = !cli.no_coalesce;
  options.requeue_lost = cli.requeue_lost;
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  options.drydock = ec ? std::string("drydock") : self.string();
  options.env = host_environment();
  options.say = say;
  return options;
}

tl::expected<void, std::string> add_web(agent::AgentOptions& options, const AgentCliOptions& cli)
{
  if (cli.no_web) {
    return {};
  }
  auto listen = parse_listen(cli.listen);
  if (!listen) {
    return tl::unexpected(listen.error());
  }
  if (cli.reads_need_token && cli.token_file.empty()) {
    return tl::unexpected(std::string("--reads-need-token needs --token-file (the token reads need)"));
  }
  agent::WebOptions web;
  std::tie(web.host, web.port) = *listen;
  web.open_reads_on_loopback = !cli.reads_need_token;
  for (const auto& [file, value, what] : {std::tuple{cli.token_file, &web.token, "token file"},
                                          {cli.hook_secret_file, &web.hook_secret, "hook secret file"}}) {
    if (file.empty()) {
      continue;
    }
    auto secret = read_secret(file, what);
    if (!secret) {
      return tl::unexpected(secret.error());
    }
    *value = *secret;
  }
  options.web = web;
  return {};
}

tl::expected<void, std::string> add_statuses(agent::AgentOptions& options, const AgentCliOptions& cli)
{
  if (cli.status_url.empty()) {
    return {};
  }
  agent::StatusTarget target;
  target.url_template = cli.status_url;
  target.proxy_settings = [env = env::Environment::from_entries(host_environment())](const std::string& name) {
    return env.get(name);
  };
  if (!cli.status_token_file.empty()) {
    auto token = read_secret(cli.status_token_file, "status token file");
    if (!token) {
      return tl::unexpected(token.error());
    }
    target.token = *token;
  }
  options.statuses = target;
  options.base_url = cli.public_url;
  while (!options.base_url.empty() && options.base_url.back() == '/') {
    options.base_url.pop_back();
  }
  return {};
}

int run_agent_command(const AgentCliOptions& cli)
{
  auto options = agent_options(cli);
  auto web = options ? add_web(*options, cli) : tl::expected<void, std::string>();
  auto statuses = options && web ? add_statuses(*options, cli) : tl::expected<void, std::string>();
  if (!options || !web || !statuses) {
    const auto& error = !options ? options.error() : !web ? web.error() : statuses.error();
    // A file's diagnostics come whole, with their own prefixes.
    fmt::print(stderr, "{}{}{}", error.find('\n') == std::string::npos ? "drydock agent: " : "", error,
               error.ends_with('\n') ? "" : "\n");
    return kExitConfigOrUsage;
  }
  auto lock = lock_state(options->state_dir);
  auto database = lock ? database_of(cli.database, cli.database_file)
                       : tl::expected<std::string, std::string>(tl::unexpect, lock.error());
  auto store = database ? open_store(options->state_dir, *database)
                        : tl::expected<std::unique_ptr<agent::Store>, std::string>(tl::unexpect, database.error());
  if (!store) {
    fmt::print(stderr, "drydock agent: {}\n", store.error());
    return kExitStepFailed;
  }
  for (const auto& repo : options->repos) {
    // Without its credentials: the database is shared, and shows it.
    if (auto added = (*store)->add_repo(repo.name, agent::url_without_credentials(repo.url)); !added) {
      fmt::print(stderr, "drydock agent: {}\n", added.error());
      return kExitStepFailed;
    }
    say(fmt::format("watching {} ({})", repo.name, agent::shown_url(repo.url)));
  }
  say("removing what dead runs left behind (drydock clean)");
  clean_leftovers_of_dead_runs(say);
  return agent::run_agent(*options, **store);
}

// REF as the mirror has it: a full ref, a branch, then a tag.
std::optional<std::pair<std::string, std::string>> resolve_ref(const std::map<std::string, std::string>& heads,
                                                               const std::string& ref)
{
  for (const auto& name : {ref, "refs/heads/" + ref, "refs/tags/" + ref}) {
    if (const auto found = heads.find(name); found != heads.end()) {
      return *found;
    }
  }
  return std::nullopt;
}

int run_enqueue(const EnqueueOptions& options)
{
  auto database = database_of(options.database, options.database_file);
  auto store = database ? open_store(options.state, *database)
                        : tl::expected<std::unique_ptr<agent::Store>, std::string>(tl::unexpect, database.error());
  auto url = store ? (*store)->repo_url(options.repo)
                   : agent::Result<std::optional<std::string>>(tl::unexpect, store.error());
  if (!url || !*url) {
    fmt::print(stderr, "drydock agent enqueue: {}\n",
               !url ? url.error()
                    : fmt::format("no agent on {} watches a repository named {}", options.state, options.repo));
    return kExitConfigOrUsage;
  }
  const agent::RepoSpec spec{options.repo, **url, {"*"}, {"*"}, ""};
  auto git = agent::real_git(300);
  agent::Mirrors mirrors((fs::path(options.state) / "mirrors").string(), *git);
  auto heads = mirrors.fetch(spec);
  if (!heads) {
    // The database has the URL without its credentials: the agent's own
    // fetches have them, and its mirror is as it last fetched.
    auto fetched_before = git->heads(mirrors.path_of(spec));
    if (fetched_before && !fetched_before->empty()) {
      fmt::print(stderr, "drydock agent enqueue: {}; taking the mirror as the agent last fetched it\n", heads.error());
      heads = std::move(fetched_before);
    }
  }
  const auto ref = heads ? resolve_ref(*heads, options.ref) : std::nullopt;
  if (!ref) {
    fmt::print(stderr, "drydock agent enqueue: {}\n",
               !heads ? heads.error() : fmt::format("{} has no branch or tag {}", options.repo, options.ref));
    return kExitConfigOrUsage;
  }
  auto [author, title] = git->author_and_title(mirrors.path_of(spec), ref->second);
  agent::SharedClock clock(agent::system_unix_ms);
  clock.sync(**store); // the database's time, as the agents stamp with
  auto build = (*store)->enqueue(agent::displayable({spec.name, ref->first, ref->second, author, title, "enqueue"}),
                                 true, clock.now());
  if (!build) {
    fmt::print(stderr, "drydock agent enqueue: {}\n", build.error());
    return kExitStepFailed;
  }
  fmt::print("queued build {} ({} #{}): {} at {}\n", build->id, build->repo, build->number, build->ref, build->sha);
  return kExitOk;
}

void add_enqueue(CLI::App& agent, const std::shared_ptr<EnqueueOptions>& options)
{
  auto* sub = agent.add_subcommand("enqueue", "Queue a build of a branch or tag of a repository the agent watches "
                                              "(fetched first); the agent starts it when a slot is free");
  sub->add_option("--state", options->state, "The agent's state folder")->required();
  auto* database = sub->add_option("--database", options->database,
                                   "The agents' PostgreSQL database, if they share one");
  sub->add_option("--database-file", options->database_file, "That database's URL, the first line of this file")
      ->excludes(database);
  sub->add_option("repo", options->repo, "The repository's name, as the agent prints it (OWNER/REPO or REPO)")
      ->required();
  sub->add_option("ref", options->ref, "A branch, a tag, or a full ref (refs/heads/main)")->required();
}

} // namespace

Action add_agent_command(CLI::App& app)
{
  auto options = std::make_shared<AgentCliOptions>();
  auto enqueue = std::make_shared<EnqueueOptions>();
  auto* sub = app.add_subcommand("agent", "A self-hosted CI agent: watch repositories (polling and a push webhook), "
                                          "build every pushed commit in a fresh checkout, keep the history in "
                                          "STATE/agent.db, and serve a web UI and JSON API.");
  sub->add_option("--repo", options->repos, "A repository to build: a URL or a path (repeatable)");
  sub->add_option("--repos", options->repos_file,
                  "A YAML file of repositories: repos: [{url, branches, tags, secrets}] (README, \"The agent\")");
  sub->add_option("--branch", options->branches, "Build the branches matching this glob (repeatable; default: all)");
  sub->add_option("--tag", options->tags, "Build the tags matching this glob (repeatable; default: none)");
  sub->add_option("--state", options->state, "The agent's folder: its database, mirrors and build logs and records");
  sub->add_option("--name", options->name, "This agent's name (default: the host name)");
  auto* database = sub->add_option("--database", options->database,
                                   "Share the queue and history with other agents in this PostgreSQL database "
                                   "(postgresql://...; default: STATE/agent.db, SQLite)");
  sub->add_option("--database-file", options->database_file,
                  "--database's URL, the first line of this file (a password kept out of process lists)")
      ->excludes(database);
  sub->add_option("-j,--jobs", options->jobs, "Builds at once (default 1)")->check(CLI::Range(1, 64));
  sub->add_option("--poll-interval", options->poll_interval_s, "Seconds between polls of each repository (default 60)")
      ->check(CLI::Range(0.1, 86400.0));
  sub->add_flag("--no-poll", options->no_poll, "Do not poll: build on webhooks and enqueue only");
  sub->add_flag("--no-coalesce", options->no_coalesce,
                "Build every pushed commit (default: a ref pushed again while queued builds its newest)");
  sub->add_flag("--requeue-lost", options->requeue_lost,
                "Queue again the builds of an agent that died (default: mark them interrupted)");
  sub->add_option("--listen", options->listen, "The web UI and API's ADDRESS:PORT (default 127.0.0.1:8080)");
  sub->add_flag("--no-web", options->no_web, "Serve no web UI or API");
  sub->add_option("--token-file", options->token_file,
                  "The token that rebuild and cancel need (Bearer), and reads from other machines");
  sub->add_flag("--reads-need-token", options->reads_need_token,
                "Reads need the token from this machine too (default: open to loopback)");
  sub->add_option("--hook-secret-file", options->hook_secret_file,
                  "The push webhook's shared secret: X-Hub-Signature-256 required");
  sub->add_option("--secrets-dir", options->secrets_dir,
                  "Secrets per repository: DIR/NAME.env (NAME=value lines, NAME's '/' kept as a folder), masked");
  sub->add_option("--status-url", options->status_url,
                  "POST commit statuses (GitHub's payload) to this http:// or https:// URL; {sha} and {repo} are "
                  "replaced; through https_proxy or http_proxy unless no_proxy names its host");
  sub->add_option("--status-token-file", options->status_token_file, "Sent as 'Authorization: token ...'");
  sub->add_option("--public-url", options->public_url,
                  "The UI's address as others reach it, for the statuses' links (default: http://ADDRESS:PORT "
                  "listened on)");
  add_enqueue(*sub, enqueue);
  return [sub, options, enqueue]() -> int {
    if (sub->got_subcommand("enqueue")) {
      return run_enqueue(*enqueue);
    }
    if ((options->repos.empty() && options->repos_file.empty()) || options->state.empty()) {
      fmt::print(stderr, "drydock agent: --repo (or --repos FILE) and --state are required (drydock agent --help)\n");
      return kExitConfigOrUsage;
    }
    return run_agent_command(*options);
  };
}

} // namespace drydock::cli
