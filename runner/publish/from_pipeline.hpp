#pragma once
// A pipeline's Publish action as DCD options: the version from the config
// (typically ${CIRCLE_TAG}, a leading v dropped), the cache's local image
// REPOSITORY:CIRCLE_SHA1 as the source, and the login's credentials read
// from the environment variables the config names. Pure.
#include <tl/expected.hpp>

#include <optional>
#include <string>

#include "pipeline/pipeline.hpp"
#include "env/environment.hpp"
#include "publish/pusher.hpp"
#include "publish/tags.hpp"

namespace drydock::publish {

// "v1.2.3" -> "1.2.3"; anything else unchanged.
std::string without_v_prefix(const std::string& version);

tl::expected<TagOptions, std::string> tag_options(const pipeline::Publish& spec, const env::Environment& env);

// Nothing without a `login`; an error when a named variable is unset.
tl::expected<std::optional<Login>, std::string> login_from(const pipeline::Publish& spec, const env::Environment& env);

// The values drydock must mask in output: those of the pipeline's secret variables.
std::vector<std::string> secrets_of(const pipeline::Pipeline& pipeline, const env::Environment& env);

} // namespace drydock::publish
