#pragma once
// One job of a 2.x workflow run lowered to the pipeline model's steps: the
// run (a job as its workflow entry runs it, a node of a parallel one) and
// the lowering of its steps. Private to frontends/circle2 (lower.cpp).
#include <string>
#include <vector>

#include "frontends/circle2/lower.hpp"
#include "frontends/circle2/model.hpp"
#include "pipeline/pipeline.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle2 {

// One job as one workflow runs it.
struct JobRun {
  const Workflow* workflow = nullptr; // none: the `build` job of a config without workflows
  const WorkflowJob* entry = nullptr;
  const Job* job = nullptr;
  std::string name;                   // shown: the job's name in its workflow, with the workflow's when several run
  std::vector<std::size_t> requires_; // other runs, by index
  int node = 0;                       // of a parallel job: which copy (CIRCLE_NODE_INDEX), of `nodes`
  int nodes = 1;
  // Its folder in the record's artifacts, test results and workspace: [WORKFLOW, ]JOB, each one
  // folder (an orb's job, node/test, is not a folder in a folder).
  std::vector<std::string> folder;
};

class JobLowering {
public:
  // `upstream`: the workspace layers of the jobs it requires, directly or not.
  JobLowering(pipeline::Pipeline& out, const LowerContext& context, const JobRun& run, std::size_t group,
              std::vector<pipeline::WorkspaceLayer> upstream, bool setup);

  // The job's steps after `after` (the ends of the jobs it requires); returns its ends.
  std::vector<std::size_t> lower(std::vector<std::size_t> after, Diagnostics& diags);
  // An approved approval job: one gate after `after`; returns it.
  std::vector<std::size_t> lower_approval(std::vector<std::size_t> after);

private:
  std::string working_directory() const;
  std::string in_job_dir(const std::optional<Text>& dir) const;
  std::vector<pipeline::EnvVar> context_vars() const;
  std::vector<pipeline::EnvVar> environment_of(const std::vector<EnvVar>& own) const;
  pipeline::JobContainer job_container() const;
  std::size_t add(const std::string& id, const std::string& name, Pos pos, pipeline::Action action,
                  pipeline::Policy policy);
  void add_run(const Step& step, const RunStep& run, std::size_t number);
  void add_checkout(const Step& step, const CheckoutStep& checkout, Diagnostics& diags);
  void add_store(const Step& step, const StoreStep& store);
  void add_kept(const Step& step);
  std::string continuation_folder() const;
  void add_continuation_handover();
  void note(const Step& step, Diagnostics& diags) const;
  std::size_t add_kept_step(const Step& step, const std::string& name, pipeline::Action action, StepWhen when);

  pipeline::Pipeline& m_out;
  const LowerContext& m_context;
  const JobRun& m_run;
  std::size_t m_group;
  std::string m_container;
  bool m_docker;
  std::vector<std::size_t> m_after; // what the next step waits for
  std::vector<pipeline::WorkspaceLayer> m_upstream;
  bool m_setup; // a job of a setup workflow: it may continue the pipeline
};

} // namespace drydock::circle2
