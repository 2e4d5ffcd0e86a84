#pragma once
// CircleCI's dynamic configuration (`setup: true`), drydock's way: the
// setup workflow's jobs carry CIRCLE_CONTINUATION_KEY, and the registry orb
// circleci/continuation is drydock's own, whose `continue` hands the
// configuration and its parameters to the `circleci` stand-in instead of
// CircleCI's API. The stand-in leaves them in the job's continuation
// folder (DRYDOCK_CONTINUATION_DIR); drydock runs that configuration once
// the setup workflow passed.
#include <string>
#include <string_view>

#include "frontends/circle2/orbs.hpp"

namespace drydock::circle2 {

// Where a docker job's stand-in leaves the continuation, in its container;
// a step after the job's last copies it into the record.
inline constexpr std::string_view kContinuationInContainer = "/tmp/drydock-continuation";

// What the stand-in leaves there.
inline constexpr std::string_view kContinuedConfiguration = "configuration.yml";
inline constexpr std::string_view kContinuedParameters = "parameters.json";
inline constexpr std::string_view kFinishedMark = "finished";

// Whether `ref` names circleci/continuation (any version): drydock's own.
bool is_continuation_orb(const OrbRef& ref);

// drydock's circleci/continuation, with the commands (continue, finish),
// job (continue) and executor (default: this machine) of CircleCI's.
OrbSource continuation_orb();

} // namespace drydock::circle2
