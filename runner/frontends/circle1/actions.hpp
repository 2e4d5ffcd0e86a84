#pragma once
// drydock's extension keys (drydock.images, .database, .services,
// .publish) as the pipeline's actions: the values as written, paths and
// ${VAR}s left for the step to resolve when it runs.
#include <optional>

#include "config/model.hpp"
#include "pipeline/pipeline.hpp"

namespace drydock::circle1 {

pipeline::ImageBuild image_action(const config::ImageSpec& spec);
pipeline::Database database_of(const config::DatabaseSpec& spec);
pipeline::ServiceStart service_action(const config::ServiceSpec& spec);
// Nothing when the entry's image is not a drydock.images entry (the config
// checks report that).
std::optional<pipeline::Publish> publish_action(const config::PublishSpec& spec, const config::Config& config);

} // namespace drydock::circle1
