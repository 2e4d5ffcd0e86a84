#pragma once
// drydock's own steps for the files a job keeps: caches saved and
// restored under keys, and the run's workspace persisted and attached
// (docker/kept_files does the engine side). Never a failure for a cache
// that is missing or a path that is not there; a workspace conflict is.
#include "exec/internal_step.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::cli {

int run_cache_save(const exec::InternalStep& step, const pipeline::CacheSave& save);
int run_cache_restore(const exec::InternalStep& step, const pipeline::CacheRestore& restore);
int run_workspace_persist(const exec::InternalStep& step, const pipeline::WorkspacePersist& persist);
int run_workspace_attach(const exec::InternalStep& step, const pipeline::WorkspaceAttach& attach);

} // namespace drydock::cli
