#include <catch2/catch.hpp>
#include <iostream>
#include "frontends/circle2/load.hpp"
#include "test_support.hpp"
using namespace drydock;
TEST_CASE("explore", "[explore]")
{
  const char* cases[] = {
"version: 2.1\nx-defaults: &defaults\n  docker:\n    - image: cimg/base:2024.01\n      user: circleci\n    - image: postgres:16\n      environment:\n        POSTGRES_PASSWORD: pw\n      entrypoint: [docker-entrypoint.sh, postgres]\n      command: -c fsync=off\n    - image: redis:7\n      environment:\n        - A=1\n        - B=x=y\n        - C: '3'\n  working_directory: ~/app\njobs:\n  build:\n    <<: *defaults\n    steps:\n      - checkout\n",
"version: 3\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n",
"version:\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n",
"jobs:\n  build:\n    steps: [checkout]\n",
"version: 2\njobs:\n  build:\n    docker: [{image: a}]\n",
"version: 2\njobs:\n  build:\n    docker: [{image: a}]\n    steps:\n      - chekout\n      - save_cache: {key: k, paths: [x]}\n      - frobnicate\n",
"version: 2.1\norbs:\n  node: circleci/node@5\njobs:\n  build:\n    docker: [{image: a}]\n    parallelism: 2\n    steps: [checkout]\nworkflows:\n  main:\n    jobs:\n      - build:\n          filters: {branches: {only: main}}\n",
"version: 2\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [checkout]\n  test:\n    docker: [{image: a}]\n    steps: [checkout]\nworkflows:\n  main:\n    jobs:\n      - biuld\n      - test:\n          requires: [tset, deploy]\n      - test\n",
"version: 2\njobs:\n  a:\n    docker: [{image: a}]\n    steps: [checkout]\n  b:\n    docker: [{image: a}]\n    steps: [checkout]\n  c:\n    docker: [{image: a}]\n    steps: [checkout]\nworkflows:\n  main:\n    jobs:\n      - a:\n          requires: [c]\n      - b:\n          requires: [a]\n      - c:\n          requires: [b]\n",
"version: 2\njobs:\n  test:\n    docker: [{image: a}]\n    steps: [checkout]\n",
"version: 2\njobs:\n  build:\n    docker: [{image: a}]\n    steps:\n      - run: {command: x, no_output_timeout: 10x}\n      - run: {command: x, no_output_timeout: 0s}\n      - run: {command: x, no_output_timeout: '90'}\n      - run: {command: x, no_output_timeout: 10m5}\n      - run: {command: x, when: never}\n",
"defaults: &d\n  docker: [{image: a}]\nversion: 2\njobs:\n  build:\n    <<: *d\n    steps: [checkout]\n",
"version: 2\njobs:\n  build:\n    machine: true\n    steps:\n      - run\n      - checkout: {path: x}\n      - run: {name: n}\n",
  };
  for (const char* c : cases) {
    auto v = circle2::validate_text("config.yml", c);
    std::cout << "-----\n" << c << "=>\n";
    for (auto& m : test::messages(v.diagnostics)) std::cout << m << "\n";
  }
}
