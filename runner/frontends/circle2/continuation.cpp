#include "frontends/circle2/continuation.hpp"

namespace drydock::circle2 {
namespace {

// The parameters of CircleCI's orb, so configs written for it read the
// same; circleci_domain, resource_class and circleci_ip_ranges mean nothing
// here. Its executor is this machine: the job needs no image drydock could
// not pull, and the work tree is its checkout.
constexpr const char* kOrb = R"YAML(version: 2.1
description: >
  drydock's own circleci/continuation: continue hands the configuration and
  its parameters to drydock, which runs that configuration once the setup
  workflow passed; finish ends the pipeline with the setup workflow.
  Nothing is sent to CircleCI.
executors:
  default:
    parameters:
      tag: {type: string, default: stable}
    machine: true
commands:
  continue:
    parameters:
      configuration_path: {type: string}
      parameters: {type: string, default: "{}"}
      circleci_domain: {type: string, default: circleci.com}
      when: {type: enum, enum: [on_success, on_fail, always], default: on_success}
    steps:
      - run:
          name: Continue Pipeline
          when: << parameters.when >>
          environment:
            CONFIG_PATH: << parameters.configuration_path >>
            PARAMETERS: << parameters.parameters >>
          command: circleci continue
  finish:
    parameters:
      circleci_domain: {type: string, default: circleci.com}
    steps:
      - run:
          name: Finish Pipeline
          command: circleci continue --finish
jobs:
  continue:
    parameters:
      configuration_path: {type: string}
      parameters: {type: string, default: "{}"}
      circleci_domain: {type: string, default: circleci.com}
      checkout: {type: boolean, default: true}
      workspace_path: {type: string, default: ""}
      resource_class: {type: string, default: small}
      circleci_ip_ranges: {type: boolean, default: false}
      executor: {type: executor, default: default}
    executor: << parameters.executor >>
    steps:
      - when:
          condition: << parameters.checkout >>
          steps: [checkout]
      - unless:
          condition: {equal: ["", << parameters.workspace_path >>]}
          steps:
            - attach_workspace: {at: << parameters.workspace_path >>}
      - continue:
          configuration_path: << parameters.configuration_path >>
          parameters: << parameters.parameters >>
)YAML";

} // namespace

bool is_continuation_orb(const OrbRef& ref) { return ref.ns == "circleci" && ref.name == "continuation"; }

OrbSource continuation_orb() { return {"drydock's circleci/continuation", kOrb, ""}; }

} // namespace drydock::circle2
