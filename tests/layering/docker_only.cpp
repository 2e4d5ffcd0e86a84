// Linked against the whole drydock_docker archive and nothing above it: the
// docker layer must not need the executor (it once called exec::run_capture,
// and a program using only docker/ failed to link).
#include <cstdio>

#include "docker/engine.hpp"

int main()
{
  const auto bridge = drydock::docker::parse_bridge("172.17.0.0/16 172.17.0.1 docker0");
  std::printf("%s %s\n", bridge.subnet.c_str(), bridge.gateway.c_str());
  return bridge.gateway == "172.17.0.1" ? 0 : 1;
}
