#include "agent/agent.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>

#include "agent/clock.hpp"
#include "os/checkout.hpp"
#include "os/process.hpp"
#include "util/file.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace drydock::agent {
namespace {

// A line or output for a build's log (a full disk loses it, not the build).
void write_all(int fd, std::string_view text) { util::write_fully(fd, text); }

// A build queued again (its agent died, --requeue-lost) runs in the same
// folder: the record of the attempt that died is kept beside the new one
// as record.1, record.2, ... and the log goes on below what it had.
void keep_earlier_attempt(const std::string& build_dir)
{
  std::error_code ec;
  const fs::path record = fs::path(build_dir) / "record";
  if (!fs::exists(record, ec)) {
    return;
  }
  for (int attempt = 1; attempt < 1000; ++attempt) {
    const auto aside = fs::path(build_dir) / fmt::format("record.{}", attempt);
    if (!fs::exists(aside, ec)) {
      fs::rename(record, aside, ec);
      return;
    }
  }
}

// What a build's run needs, made on a thread of its own: a fetch may take
// minutes, and the loop meanwhile renews leases, reads other builds'
// output and applies cancels.
struct Prepared {
  os::FreshCheckout checkout;
  std::string config;
};

// The preparation's end: the run's needs, or why none; and the commit's
// author and title once fetched, when the build was queued without them
// (a plain webhook ahead of the mirror), even when what follows failed.
struct Preparation {
  Result<Prepared> prepared;
  std::optional<BuildRequest> described;
};

// A build being run: its preparation, then its child, its log and its checkout.
struct Running {
  Build build;
  std::future<Preparation> preparing; // valid until its run starts
  int process = 0;
  int log_fd = -1;
  std::optional<os::FreshCheckout> checkout;
  bool cancel_requested = false;
  std::chrono::steady_clock::time_point kill_at; // a canceled run still going then gets SIGKILL
};

class Agent final : public AgentControl {
public:
  Agent(const AgentOptions& options, Store& store);
  int run();

  Result<Build> push(const PushEvent& event) override;
  Result<Build> rebuild(std::int64_t id) override;
  Result<bool> cancel(std::int64_t id) override;

private:
  const RepoSpec* repo_named(const std::string& name) const;
  const RepoSpec* repo_of(const PushEvent& event) const;
  void queued(const Build& build);
  void remember_head(const RepoSpec& repo, const std::string& ref, const std::string& sha);
  void post_status(const Build& build);
  void recover(bool at_start);
  void start_builds();
  void start(Build build);
  Preparation prepare(const Build& build);
  void start_prepared();
  void launch(Running& running, Preparation preparation);
  void end_preparing(Running& running, BuildStatus status, const std::string& why);
  void forget_abandoned();
  void wait_for_abandoned();
  std::vector<std::string> run_argv(const Build& build, const Prepared& prepared) const;
  void fail_to_start(Running& running, const std::string& why);
  void handle(const os::ProcessEvent& event);
  void finished(std::int64_t id, int exit_code);
  void conclude(Running& running, BuildStatus status, int exit_code, const std::string& message);
  void sync_clock();
  void apply_cancels();
  void heartbeat();
  void begin_stop(int signal);
  void kill_after_grace();

  const AgentOptions& m_options;
  Store& m_store;
  std::unique_ptr<GitAccess> m_git;
  Mirrors m_mirrors;
  SharedClock m_clock{system_unix_ms};
  os::AsyncProcesses m_processes;
  std::map<std::int64_t, Running> m_running;
  std::map<int, std::int64_t> m_build_of_process;
  std::mutex m_statuses_mutex; // web threads post too, from before m_statuses is made
  std::unique_ptr<StatusPoster> m_statuses;
  // Preparations of builds that ended meanwhile (canceled, stopped): their
  // git runs are bounded, not killable; each is dropped once it returns.
  std::vector<std::future<Preparation>> m_abandoned;
  std::atomic<bool> m_wake{true};
  bool m_stopping = false;
  std::chrono::steady_clock::time_point m_stop_deadline;
  std::chrono::steady_clock::time_point m_next_claim;
  std::chrono::steady_clock::time_point m_next_heartbeat;
};

Agent::Agent(const AgentOptions& options, Store& store)
  : m_options(options), m_store(store), m_git(real_git(300)),
    m_mirrors((fs::path(options.state_dir) / "mirrors").string(), *m_git)
{
}

const RepoSpec* Agent::repo_named(const std::string& name) const
{
  for (const auto& repo : m_options.repos) {
    if (repo.name == name) {
      return &repo;
    }
  }
  return nullptr;
}

// A webhook names its repository by name, OWNER/REPO or URL.
const RepoSpec* Agent::repo_of(const PushEvent& event) const
{
  for (const auto& repo : m_options.repos) {
    const bool named = repo.name == event.name || repo.name == event.full_name;
    if (named || (!event.url.empty() && repo.url == event.url)) {
      return &repo;
    }
  }
  return nullptr;
}

void Agent::queued(const Build& build)
{
  post_status(build);
  m_wake = true;
}

void Agent::post_status(const Build& build)
{
  const std::lock_guard lock(m_statuses_mutex);
  if (m_statuses) {
    m_statuses->post(build);
  }
}

Result<Build> Agent::push(const PushEvent& event)
{
  const auto* repo = repo_of(event);
  if (repo == nullptr) {
    return tl::unexpected(
        fmt::format("this agent does not build {}", event.full_name.empty() ? event.name : event.full_name));
  }
  if (!ref_wanted(*repo, event.ref)) {
    return tl::unexpected(fmt::format("{} is not among the refs {} builds", event.ref, repo->name));
  }
  const auto held = m_mirrors.hold(*repo); // no poll between the queueing and the head stored
  auto build = m_store.enqueue(displayable({repo->name, event.ref, event.sha, event.author, event.title, "push"}),
                               m_options.coalesce, m_clock.now());
  if (build) {
    remember_head(*repo, event.ref, event.sha);
    queued(*build);
  }
  return build;
}

// The ref's head as the webhook told it, so the next poll does not build
// the same push again.
void Agent::remember_head(const RepoSpec& repo, const std::string& ref, const std::string& sha)
{
  auto heads = m_store.heads(repo.name);
  Result<void> stored = heads ? Result<void>() : tl::unexpected(heads.error());
  if (heads) {
    (*heads)[ref] = sha;
    stored = m_store.set_heads(repo.name, *heads);
  }
  if (!stored) {
    m_options.say(fmt::format("warning: {}", stored.error()));
  }
}

Result<Build> Agent::rebuild(std::int64_t id)
{
  auto old = m_store.get(id);
  if (!old || !*old) {
    return tl::unexpected(old ? fmt::format("there is no build {}", id) : old.error());
  }
  const auto& was = **old;
  auto build = m_store.enqueue({was.repo, was.ref, was.sha, was.author, was.title, fmt::format("rebuild of #{}", id)},
                               false, m_clock.now());
  if (build) {
    queued(*build);
  }
  return build;
}

Result<bool> Agent::cancel(std::int64_t id)
{
  auto asked = m_store.request_cancel(id, m_clock.now());
  if (asked && *asked) {
    m_wake = true; // the loop signals it, or it was still queued
    if (auto build = m_store.get(id); build && *build && (*build)->status == BuildStatus::canceled) {
      post_status(**build);
    }
  }
  return asked;
}

// Builds an earlier instance of this agent left running (it was killed),
// at start only: two live agents of one name must not take each other's.
// Then those whose agent's lease ran out, every heartbeat.
void Agent::recover(bool at_start)
{
  // Named by its whole instance, no other agent's builds are "this agent's earlier ones".
  const auto& name = at_start ? m_options.name : m_options.instance;
  auto recovered = m_store.recover(name, m_options.instance, m_clock.now(), m_options.requeue_lost);
  if (!recovered) {
    m_options.say(fmt::format("warning: {}", recovered.error()));
    return;
  }
  for (const auto& build : *recovered) {
    // A build queued again no longer names the agent that left it.
    m_options.say(build.status == BuildStatus::queued
                      ? fmt::format("build {} ({} #{}) was left by a stopped agent: queued again", build.id, build.repo,
                                    build.number)
                      : fmt::format("build {} ({} #{}) was left by {}: {}", build.id, build.repo, build.number,
                                    build.agent, to_string(build.status)));
  }
}

void Agent::start_builds()
{
  const auto now = std::chrono::steady_clock::now();
  if (m_stopping || (!m_wake.exchange(false) && now < m_next_claim)) {
    return;
  }
  m_next_claim = now + 1s; // other agents on the database queue builds too
  while (static_cast<int>(m_running.size()) < m_options.jobs) {
    auto claimed = m_store.claim(m_options.instance, m_clock.now(), m_options.lease.count());
    if (!claimed) {
      m_options.say(fmt::format("warning: {}", claimed.error()));
      return;
    }
    if (!*claimed) {
      return;
    }
    start(std::move(**claimed));
  }
}

void Agent::start(Build build)
{
  const auto id = build.id;
  auto& running = m_running[id];
  running.build = std::move(build);
  running.build.dir = build_dir_of(m_options.state_dir, id);
  std::error_code ec;
  fs::create_directories(running.build.dir, ec);
  keep_earlier_attempt(running.build.dir);
  running.log_fd = ::open((running.build.dir + "/log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (auto saved = m_store.set_dir(id, running.build.dir); !saved) {
    m_options.say(fmt::format("warning: {}", saved.error()));
  }
  post_status(running.build);
  const auto& b = running.build;
  write_all(running.log_fd, fmt::format("drydock agent: {} #{}: {} at {}\n", b.repo, b.number, b.ref, b.sha));
  running.preparing = std::async(std::launch::async, [this, b] { return prepare(b); });
}

// On the build's own thread: the commit fetched if the mirror lacks it,
// checked out fresh, and its config found. Touches nothing the loop does.
Preparation Agent::prepare(const Build& build)
{
  const auto* repo = repo_named(build.repo);
  if (repo == nullptr) {
    return {tl::unexpected(fmt::format("this agent does not build {}", build.repo)), std::nullopt};
  }
  if (auto fetched = m_mirrors.ensure_commit(*repo, build.sha); !fetched) {
    return {tl::unexpected(fetched.error()), std::nullopt};
  }
  std::optional<BuildRequest> described;
  if (build.author.empty() && build.title.empty()) {
    auto [author, title] = m_mirrors.git().author_and_title(m_mirrors.path_of(*repo), build.sha);
    described = displayable({build.repo, build.ref, build.sha, std::move(author), std::move(title), build.reason});
  }
  auto checkout = os::FreshCheckout::of_commit({m_mirrors.path_of(*repo), build.sha, build.branch(),
                                                url_without_credentials(repo->url)},
                                               m_options.instance.substr(m_options.instance.rfind('/') + 1));
  auto config = checkout ? config_of_checkout(checkout->dir()) : Result<std::string>(tl::unexpect, checkout.error());
  if (!config) {
    return {tl::unexpected(config.error()), std::move(described)};
  }
  return {Prepared{std::move(*checkout), std::move(*config)}, std::move(described)};
}

// A build canceled or stopped while being prepared ends now: its git runs
// cannot be stopped, but they are bounded, and what they return is dropped.
void Agent::end_preparing(Running& running, BuildStatus status, const std::string& why)
{
  m_abandoned.push_back(std::move(running.preparing));
  write_all(running.log_fd, fmt::format("drydock agent: {}\n", why));
  conclude(running, status, 0, why);
}

void Agent::forget_abandoned()
{
  std::erase_if(m_abandoned, [](const auto& preparing) { return preparing.wait_for(0s) == std::future_status::ready; });
}

// The builds whose preparation ended: run now, or ended.
void Agent::start_prepared()
{
  for (auto it = m_running.begin(); it != m_running.end();) {
    auto& running = (it++)->second; // launch may end the build, and erase it
    if (running.preparing.valid() && running.preparing.wait_for(0s) == std::future_status::ready) {
      launch(running, running.preparing.get());
    }
  }
}

void Agent::launch(Running& running, Preparation preparation)
{
  if (const auto& described = preparation.described) {
    if (auto saved = m_store.describe(running.build.id, described->author, described->title); !saved) {
      m_options.say(fmt::format("warning: {}", saved.error()));
    }
  }
  auto& prepared = preparation.prepared;
  if (!prepared) {
    fail_to_start(running, prepared.error());
    return;
  }
  os::SpawnSpec spec;
  spec.argv = run_argv(running.build, *prepared);
  spec.cwd = prepared->checkout.dir();
  spec.env = m_options.env;
  auto process = m_processes.spawn(spec);
  if (!process) {
    fail_to_start(running, process.error());
    return;
  }
  running.process = *process;
  running.checkout.emplace(std::move(prepared->checkout));
  m_build_of_process[*process] = running.build.id;
}

std::vector<std::string> Agent::run_argv(const Build& build, const Prepared& prepared) const
{
  std::vector<std::string> argv{m_options.drydock, "run",
                                "--build-number",  std::to_string(build.number),
                                "--record-dir",    build.dir + "/record",
                                "--parent-pid",    std::to_string(::getpid())};
  if (const auto* repo = repo_named(build.repo); repo != nullptr && !repo->secrets_file.empty()) {
    argv.insert(argv.end(), {"--secret-file", repo->secrets_file});
  }
  argv.insert(argv.end(), {"--", prepared.config});
  return argv;
}

void Agent::fail_to_start(Running& running, const std::string& why)
{
  write_all(running.log_fd, fmt::format("drydock agent: the build could not start: {}\n", why));
  conclude(running, BuildStatus::error, 0, why);
}

void Agent::handle(const os::ProcessEvent& event)
{
  using Kind = os::ProcessEvent::Kind;
  if (event.kind == Kind::signal) {
    begin_stop(event.signal);
    return;
  }
  const auto build = m_build_of_process.find(event.id);
  if (build == m_build_of_process.end()) {
    return;
  }
  auto& running = m_running.at(build->second);
  if (event.kind == Kind::output) {
    write_all(running.log_fd, event.data);
  } else if (event.kind == Kind::exited) {
    finished(build->second, event.exit_code);
  }
}

void Agent::finished(std::int64_t id, int exit_code)
{
  auto& running = m_running.at(id);
  auto status = status_of_exit(exit_code, running.cancel_requested);
  if (m_stopping && status == BuildStatus::error && exit_code > 128) {
    status = BuildStatus::interrupted; // killed after the stop's grace time
  }
  const std::string message = status == BuildStatus::canceled      ? "canceled"
                              : status == BuildStatus::interrupted ? "the agent stopped"
                              : status == BuildStatus::error ? fmt::format("drydock run exited with {}", exit_code)
                                                             : "";
  write_all(running.log_fd, fmt::format("drydock agent: {} (exit {})\n", to_string(status), exit_code));
  conclude(running, status, exit_code, message);
}

// A build's end, however it came: stored, told, its status posted, and its
// slot (and checkout) freed for the next.
void Agent::conclude(Running& running, BuildStatus status, int exit_code, const std::string& message)
{
  const auto id = running.build.id;
  ::close(running.log_fd);
  if (auto done = m_store.finish(id, status, exit_code, message, m_clock.now()); !done) {
    m_options.say(fmt::format("warning: {}", done.error()));
  }
  const auto& b = running.build;
  m_options.say(status == BuildStatus::error && running.process == 0
                    ? fmt::format("build {} ({} #{}) could not start: {}", id, b.repo, b.number, message)
                    : fmt::format("build {} ({} #{}) {}", id, b.repo, b.number, to_string(status)));
  running.build.status = status;
  post_status(running.build);
  m_build_of_process.erase(running.process);
  m_running.erase(id); // the checkout goes with it
  m_wake = true;       // the next one may start
}

void Agent::apply_cancels()
{
  if (m_running.empty()) {
    return; // an idle agent asks its database nothing ten times a second
  }
  auto asked = m_store.cancel_requests(m_options.instance);
  if (!asked) {
    return;
  }
  for (const auto id : *asked) {
    const auto running = m_running.find(id);
    if (running != m_running.end() && !running->second.cancel_requested) {
      running->second.cancel_requested = true;
      running->second.kill_at = std::chrono::steady_clock::now() + m_options.stop_grace;
      if (running->second.process != 0) {
        m_processes.signal_group(running->second.process, SIGTERM);
      } else {
        end_preparing(running->second, BuildStatus::canceled, "canceled before it started");
      }
    }
  }
}

void Agent::heartbeat()
{
  const auto now = std::chrono::steady_clock::now();
  if (now < m_next_heartbeat) {
    return;
  }
  m_next_heartbeat = now + m_options.lease / 3;
  if (auto renewed = m_store.heartbeat(m_options.instance, m_clock.now(), m_options.lease.count()); !renewed) {
    m_options.say(fmt::format("warning: {}", renewed.error()));
  }
  sync_clock();
  recover(false); // another agent on the database may have died since
}

void Agent::sync_clock()
{
  if (auto said = m_clock.sync(m_store)) {
    m_options.say(*said);
  }
}

// SIGINT, SIGTERM, SIGHUP: no new build; the running ones get SIGTERM and
// stop_grace to clean up, then SIGKILL.
// A second signal: exit now (the runs are killed; the next start marks
// them interrupted and cleans what they left).
void Agent::begin_stop(int signal)
{
  if (m_stopping) {
    m_options.say(fmt::format("{} again: exiting now", ::strsignal(signal)));
    m_processes.signal_all_groups(SIGKILL);
    std::fflush(nullptr);
    std::_Exit(130);
  }
  m_stopping = true;
  m_stop_deadline = std::chrono::steady_clock::now() + m_options.stop_grace;
  m_options.say(fmt::format("stopping ({}): {} build(s) running", ::strsignal(signal), m_running.size()));
  for (auto it = m_running.begin(); it != m_running.end();) {
    auto& running = (it++)->second; // end_preparing erases it
    if (running.process != 0) {
      m_processes.signal_group(running.process, SIGTERM);
    } else {
      end_preparing(running, BuildStatus::interrupted, "the agent stopped before it started");
    }
  }
}

// Their fetches are bounded (300 s); a second signal does not wait.
void Agent::wait_for_abandoned()
{
  forget_abandoned();
  if (!m_abandoned.empty()) {
    m_options.say(fmt::format("waiting for {} build preparation(s) to end (a git fetch; a second signal exits now)",
                              m_abandoned.size()));
  }
  while (!m_abandoned.empty()) {
    for (const auto& event : m_processes.wait(100ms)) {
      handle(event);
    }
    forget_abandoned();
  }
}

// A run that did not stop within the grace time of a stop or a cancel.
void Agent::kill_after_grace()
{
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [id, running] : m_running) {
    const bool stop_overdue = m_stopping && now > m_stop_deadline;
    const bool cancel_overdue = running.cancel_requested && now > running.kill_at;
    if (running.process != 0 && (stop_overdue || cancel_overdue)) {
      m_processes.signal_group(running.process, SIGKILL);
    }
  }
}

int Agent::run()
{
  m_processes.catch_interrupts();
  std::vector<std::string> names;
  for (const auto& repo : m_options.repos) {
    names.push_back(repo.name);
  }
  m_store.claim_only(names);
  sync_clock();
  recover(true);
  std::unique_ptr<WebServer> web;
  if (m_options.web) {
    auto started = WebServer::start(*m_options.web, m_store, *this);
    if (!started) {
      m_options.say(fmt::format("cannot serve the web UI: {}", started.error()));
      return 1;
    }
    web = std::move(*started);
    m_options.say(fmt::format("listening on http://{}:{}/", m_options.web->host, web->port()));
  }
  if (m_options.statuses) { // its links name the port bound, which --listen ...:0 leaves to the kernel
    const auto base = !m_options.base_url.empty() ? m_options.base_url
                      : web                       ? fmt::format("http://{}:{}", m_options.web->host, web->port())
                                                  : std::string();
    auto poster = std::make_unique<StatusPoster>(*m_options.statuses, base, m_options.say);
    const std::lock_guard lock(m_statuses_mutex);
    m_statuses = std::move(poster);
  }
  std::unique_ptr<Poller> poller;
  if (m_options.poll) {
    poller = std::make_unique<Poller>(
        m_options.repos, m_mirrors, m_store, Poller::Options{m_options.poll_interval, m_options.coalesce},
        [this] { return m_clock.now(); }, [this](const Build& build) { queued(build); },
        [this](const std::string& line) { m_options.say(line); });
  }
  while (!m_stopping || !m_running.empty()) {
    for (const auto& event : m_processes.wait(100ms)) {
      handle(event);
    }
    start_prepared();
    forget_abandoned();
    start_builds();
    apply_cancels();
    heartbeat();
    kill_after_grace();
  }
  wait_for_abandoned();
  if (poller) {
    poller->stop();
  }
  if (web) {
    web->stop();
  }
  const std::lock_guard lock(m_statuses_mutex);
  m_statuses.reset(); // the last statuses sent (bounded) while the store is still there
  return 130;
}

} // namespace

std::string build_dir_of(const std::string& state_dir, std::int64_t id)
{
  return (fs::path(state_dir) / "builds" / std::to_string(id)).string();
}

BuildStatus status_of_exit(int exit_code, bool cancel_requested)
{
  if (cancel_requested && exit_code != 0) {
    return BuildStatus::canceled;
  }
  switch (exit_code) {
  case 0: return BuildStatus::success;
  case 1: return BuildStatus::failed;
  case 130: return BuildStatus::interrupted;
  default: return BuildStatus::error;
  }
}

Result<std::string> config_of_checkout(const std::string& checkout_dir)
{
  std::error_code ec;
  // As `drydock run` with no file: 2.x's place first; the content then picks the front end.
  for (const auto& name : {".circleci/config.yml", "circle.yml"}) {
    const auto path = fs::path(checkout_dir) / name;
    if (fs::is_regular_file(path, ec)) {
      return path.string();
    }
  }
  return tl::unexpected(std::string("the commit has neither .circleci/config.yml nor circle.yml at its top"));
}

int run_agent(const AgentOptions& options, Store& store)
{
  Agent agent(options, store);
  return agent.run();
}

} // namespace drydock::agent
