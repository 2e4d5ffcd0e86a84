#pragma once
// The engine's HTTP API on its local socket, for the queries on the
// critical path of every run: `docker version` and `docker network
// inspect bridge` (the engine probe) and `docker image inspect` (is the
// keyed image there?). The docker client
// costs 20–40 ms a call just to start; the socket answers in about a
// millisecond. EngineClient asks here first and runs the client whenever
// there is no answer: an engine elsewhere (tcp://, ssh://, a context), no
// socket, no permission, a timeout, a status other than 200 and 404. So
// every error message, and every engine drydock cannot reach itself,
// stays the client's; this only ever gives what the client would print.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "docker/commands.hpp"
#include "os/process.hpp"

namespace drydock::docker::api {

// What decides where the client would connect: $DOCKER_HOST,
// $DOCKER_CONTEXT and the client's config.json (its currentContext).
struct ClientSettings {
  std::string docker_host;
  std::string docker_context;
  std::string config_json; // the text of config.json, or empty
};

// The settings of this process: its environment and
// $DOCKER_CONFIG/config.json (default ~/.docker/config.json).
ClientSettings settings_from_environment();

// The socket's path when the client would talk to a local socket with
// these settings (no DOCKER_HOST, or unix://PATH, and the default
// context), else nothing.
std::optional<std::string> local_socket(const ClientSettings& settings);

// The API's path for `docker image inspect REF` (REF percent-encoded).
std::string image_target(std::string_view ref);

// The lines the client prints for the formats commands.cpp asks for, or
// nothing when the engine's JSON lacks a field they print.
std::optional<std::string> version_line(const nlohmann::json& version);
std::optional<std::string> inspect_line(const nlohmann::json& image);
std::optional<std::string> bridge_line(const nlohmann::json& network);

// What the docker client would answer to `argv`, when argv is a query
// this answers (server_version(), bridge_network(), inspect_images(...)) and the engine's
// local socket gave the answer; else nothing: run the client.
std::optional<os::CaptureResult> answer(const Argv& argv);
// The same, where an exception may come out (answer catches them all).
std::optional<os::CaptureResult> answer_from_socket(const Argv& argv);

} // namespace drydock::docker::api
