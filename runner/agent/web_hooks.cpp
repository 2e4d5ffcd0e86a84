// POST /api/hooks/push, and the server with it: kept apart from the other
// routes so that those build and test without the webhook's parsing.
#include "agent/web_internal.hpp"

namespace drydock::agent {
namespace web {

Response push_hook(const Request& request, const WebOptions& options, AgentControl& control)
{
  const auto& body = request.body();
  if (!options.hook_secret.empty()
      && !signature_matches(options.hook_secret, body, view(request["X-Hub-Signature-256"]))) {
    return error_response(http::status::unauthorized, "the X-Hub-Signature-256 signature does not match");
  }
  const auto github_event = view(request["X-GitHub-Event"]);
  if (github_event == "ping") {
    return json_response(http::status::ok, {{"ok", true}});
  }
  if (!github_event.empty() && github_event != "push") {
    return json_response(http::status::accepted, {{"ignored", "event " + std::string(github_event)}});
  }
  const auto event = parse_push(body);
  if (!event) {
    return error_response(http::status::bad_request, event.error());
  }
  if (event->deleted) {
    return json_response(http::status::accepted, {{"ignored", "deletion"}});
  }
  const auto build = control.push(*event);
  if (!build) {
    return error_response(http::status::unprocessable_entity, build.error());
  }
  return json_response(http::status::created, build_object(*build));
}

} // namespace web

tl::expected<std::unique_ptr<WebServer>, std::string> WebServer::start(const WebOptions& options, Store& store,
                                                                       AgentControl& control)
{
  return web::start_server(options, store, control, web::push_hook);
}

} // namespace drydock::agent
