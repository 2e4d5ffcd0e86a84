#pragma once
// CircleCI 2.1's reuse resolved on the YAML tree, before the loader reads
// it: `commands`, `executors`, job, command and executor `parameters`
// (typed, with defaults), `<< parameters.x >>`, `<< pipeline.* >>` and
// pipeline parameters, `when`/`unless` steps and logic statements, and a
// workflow job's pre-steps and post-steps. What comes out is a job as 2.0
// writes it: only built-in steps, an executor of its own, no parameters.
// Nodes keep the position where their text was written (a command's
// step, the argument that filled it), so diagnostics point there. Pure.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/yaml_tree.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle2 {

// What `<< pipeline.* >>` reads. Empty values are written as empty text.
struct PipelineValues {
  std::string id;
  int number = 0;
  std::string branch;
  std::string tag;
  std::string revision;
  std::string base_revision;
  std::string project_url;
  std::map<std::string, std::string> parameters; // --param NAME=VALUE, checked against `parameters:`
};

// A workflow's job entry written out: one per combination of its
// `matrix` (or the entry itself), and the alias that requires all of them.
struct MatrixEntries {
  std::vector<config::NodePtr> items;
  std::string alias; // empty: no matrix
  std::vector<std::string> names;
};

// The reusable parts of one config, read once from its top level.
class Reuse {
public:
  // `unresolved`: orbs that could not be read, whose parts are said nothing more of.
  Reuse(const config::Node& root, const PipelineValues& values, Diagnostics& diags,
        const std::vector<std::string>& unresolved = {});

  // Job `name` (its key and body in `jobs:`) as one workflow entry runs it:
  // `args` (a mapping of its parameters' values, or null), then its
  // executor merged in, its steps expanded, with `pre` and `post` (lists
  // of steps, or null) around them. Problems go to diags.
  config::NodePtr job(const config::Node& key, const config::Node& body, const config::Node* args,
                      const config::Node* pre, const config::Node* post);

  // Whether the job's parameters all have defaults, so it can run as written.
  static bool runs_without_arguments(const config::Node& body);

  // `<< pipeline.* >>` replaced in a part of the config outside jobs
  // (workflows, their filters); `<< parameters.x >>` there is an error.
  config::NodePtr outside_jobs(const config::Node& node);

  // A workflow's job entry (`- JOB: {options}`) with its `matrix` written
  // out: each combination's parameters passed as the job's arguments, `<<
  // matrix.x >>` replaced, and a name of its own (`name:`, else
  // JOB-VALUE-VALUE...), less the combinations `exclude` lists.
  MatrixEntries workflow_entries(const config::Node& item);

  // A workflow's `when` or `unless` (`negate`): whether it runs, and why not.
  bool condition_holds(const config::Node& condition, bool negate);

  // Whether the expansion ran out of its budget (said once): what it gave
  // after is empty, and not worth reading.
  bool gave_up() const;

  // The names of the config's commands, for did-you-mean on unknown steps.
  std::vector<std::string> command_names() const;

private:
  struct Impl;
  std::shared_ptr<Impl> m_impl;
};

// The keys of a workflow's job entry that are not job parameters.
bool is_workflow_job_option(std::string_view key);

} // namespace drydock::circle2
