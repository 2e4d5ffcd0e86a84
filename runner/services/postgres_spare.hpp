#pragma once
// The spare cluster: a copy of the template made while a run's steps run,
// and taken whole by the next run with one rename, so a warm start copies
// nothing (ephemeralpg's pg_tmp keeps a spare instance the same way).
// Copying a template's thousand-odd files costs 100–250 ms even on tmpfs,
// which was most of a warm cluster's time to ready.
//
// Spares live in a folder of this user's own beside the cluster folders
// (drydock-spares-UID, mode 0700, checked to be ours and no link), since
// /dev/shm is everyone's and the server's user (whom a job's SQL can act
// as) must not reach a spare another run will take. There the copy is
// made, renamed to KEY at the end of the run when none waits yet, and
// claimed by the next run with a rename. At most one spare waits per
// template; half-made copies of killed runs go after an hour.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "services/postgres_cluster.hpp"

namespace drydock::services {

// The private folder of this user's spares, beside the run's cluster dirs,
// and where the spare of template `key` waits in it.
std::string spare_root(const std::string& parent_dir);
std::string spare_dir(const std::string& parent_dir, const std::string& key);

// Copies a folder tree in this process: directories, files and links,
// with their modes and owners (the server's files are `postgres`'s).
// Stops early, with an error, once `stop` is set.
tl::expected<void, std::string> copy_tree(const std::string& from, const std::string& to,
                                          const std::atomic<bool>& stop);

class SpareCopy {
public:
  // For a run whose cluster is `spec` (its dir made, not started): takes
  // the waiting spare into spec.dir/data when there is a good one (its key
  // in spec.dir/drydock.spare), and
  // starts copying the template for the next run. Nothing when there is no
  // usable template yet (the run's own step builds it).
  // `step_env`: the cluster step's environment (its locale and time zone
  // are in the template's key).
  static std::unique_ptr<SpareCopy> begin(const ClusterSpec& spec, const EnvLookup& step_env, const Log& log);

  SpareCopy(std::string template_dir, std::string work_dir, std::string spare_dir);
  ~SpareCopy(); // stops the copy and waits for it
  SpareCopy(const SpareCopy&) = delete;
  SpareCopy& operator=(const SpareCopy&) = delete;

  // At the end of the run, before its cluster dir is removed: waits for
  // the copy (cut short when `abandon`, an interrupted run) and puts it in
  // place for the next run when it is whole and no spare waits yet. Once.
  void finish(bool abandon, const Log& log);

private:
  void copy();

  std::string m_template_dir;
  std::string m_work_dir;  // the copy being made, in the private folder
  std::string m_spare_dir; // where it waits for the next run
  std::atomic<bool> m_stop{false};
  bool m_finished = false;
  std::string m_error; // written by the copying thread, read after join
  std::thread m_thread;
};

} // namespace drydock::services
