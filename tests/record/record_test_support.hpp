#pragma once
// A small run's events (as events.jsonl holds them) and a scratch folder,
// shared by the tests of the record's readers and writers.
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "util/file.hpp"

namespace drydock::test {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir()
  {
    std::string templ = (std::filesystem::path(util::temp_dir()) / "drydock-report-test.XXXXXX").string();
    path = ::mkdtemp(templ.data());
  }
  ~ScratchDir()
  {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

// Four steps: setup, then two at once (one timed out and killed, one exits
// 3), then one skipped; a service, an image and a cache decision.
inline std::string sample_events()
{
  return R"({"event":"run_started","t":0,"version":1,"config":"circle.yml","commit":"0123456789abcdef0123456789abcdef01234567","branch":"main","tag":"","build":7,"drydock":"0.1.0","owner":"1:2","started_at":"2026-01-02T03:04:05Z","dry_run":false,"steps":[)"
         R"({"id":"machine.pre[0]","name":"echo setup","group":"machine","kind":"shell","needs":[],"runs_in":"host","background":false},)"
         R"({"id":"test.override[0]","name":"sleep 5","group":"test","kind":"shell","needs":["machine.pre[0]"],"runs_in":"host","background":false},)"
         R"({"id":"test.override[1]","name":"exit 3","group":"test","kind":"shell","needs":["machine.pre[0]"],"runs_in":"host","background":false},)"
         R"({"id":"test.post[0]","name":"echo after","group":"test","kind":"shell","needs":["test.override[0]","test.override[1]"],"runs_in":"host","background":false}]})"
         "\n"
         R"({"event":"step_queued","t":5,"step":"machine.pre[0]"})"
         "\n"
         R"({"event":"step_started","t":10,"step":"machine.pre[0]","needs":[],"released_by":[]})"
         "\n"
         R"({"event":"service_ready","t":205,"service":"postgresql","ms":321,"step":"machine.pre[0]"})"
         "\n"
         R"({"event":"image","t":206,"image":"app","decision":"built","reference":"app:abc","step":"machine.pre[0]"})"
         "\n"
         R"({"event":"cache","t":207,"dir":"vendor","decision":"saved","key":"branch-main","step":"machine.pre[0]"})"
         "\n"
         R"({"event":"step_finished","t":210,"step":"machine.pre[0]","status":"succeeded","exit_code":0,"signal":null,"timed_out":false,"duration_ms":200,"message":""})"
         "\n"
         R"({"event":"step_started","t":220,"step":"test.override[0]","needs":["machine.pre[0]"],"released_by":["machine.pre[0]"]})"
         "\n"
         R"({"event":"step_started","t":220,"step":"test.override[1]","needs":["machine.pre[0]"],"released_by":["machine.pre[0]"]})"
         "\n"
         R"({"event":"step_finished","t":400,"step":"test.override[1]","status":"failed","exit_code":3,"signal":null,"timed_out":false,"duration_ms":180,"message":""})"
         "\n"
         R"({"event":"step_finished","t":1220,"step":"test.override[0]","status":"failed","exit_code":137,"signal":9,"timed_out":true,"duration_ms":1000,"message":"timed out after 1 s without output"})"
         "\n"
         R"({"event":"step_skipped","t":1400,"step":"test.post[0]","reason":"an earlier step failed"})"
         "\n"
         R"({"event":"run_finished","t":1500,"result":"failed","duration_ms":1500,"message":""})"
         "\n";
}

} // namespace drydock::test
