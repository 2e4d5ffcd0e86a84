#pragma once
// What a CircleCI 2.x config must hold beyond its shape: workflows name
// jobs that exist, `requires` names a job of the same workflow, names are
// unique in a workflow, `requires` has no cycle, and a config without
// workflows has the job CircleCI then runs (`build`).
#include "frontends/circle2/model.hpp"
#include "util/diagnostic.hpp"

namespace drydock::circle2 {

void check_config(const Config& config, Diagnostics& diags);

} // namespace drydock::circle2
