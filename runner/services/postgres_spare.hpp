#pragma once
// The spare cluster: a copy of the template made while a run's steps run,
// and taken whole by the next run with one rename, so a warm start copies
// nothing (ephemeralpg's pg_tmp keeps a spare instance the same way).
// Copying a template's thousand-odd files costs 100–250 ms even on tmpfs,
// which was most of a warm cluster's time to ready.
//
// The copy is made inside the run's own cluster directory (so a killed
// run's partial copy goes with the rest of it, through `drydock clean`)
// and renamed to the cluster folder's parent at the end of the run, as
// drydock-pgspare-KEY, when none is there yet. At most one spare waits per
// template; the next run to start takes it.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "services/postgres_cluster.hpp"

namespace drydock::services {

// Where the spare of template `key` waits: beside the run's cluster dirs.
std::string spare_dir(const std::string& parent_dir, const std::string& key);

// Copies a folder tree in this process: directories, files and links,
// with their modes and owners (the server's files are `postgres`'s).
// Stops early, with an error, once `stop` is set.
tl::expected<void, std::string> copy_tree(const std::string& from, const std::string& to,
                                          const std::atomic<bool>& stop);

class SpareCopy {
public:
  // For a run whose cluster is `spec` (its dir made, not started): takes
  // the waiting spare into spec.dir/data when there is a good one, and
  // starts copying the template for the next run. Nothing when there is no
  // usable template yet (the run's own step builds it).
  static std::unique_ptr<SpareCopy> begin(const ClusterSpec& spec, const Log& log);

  SpareCopy(std::string template_dir, std::string cluster_dir, std::string key);
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
  std::string m_cluster_dir;
  std::string m_key;
  std::atomic<bool> m_stop{false};
  bool m_finished = false;
  std::string m_error; // written by the copying thread, read after join
  std::thread m_thread;
};

} // namespace drydock::services
