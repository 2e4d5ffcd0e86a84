#pragma once
// A docker::Client for unit tests: no process is started. It records every
// call (argv, cwd, what was fed to stdin) and answers from a script keyed
// by argv prefix; a call the script does not cover fails the test and is
// answered "could not run", so the code under test takes its error path
// instead of hanging or crashing. Drive it from the test's thread only
// (Catch2 v2's assertions are not thread-safe).
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "docker/client.hpp"

namespace drydock::test {

struct Reply {
  int exit_code = 0;
  std::string output;                    // capture: its stdout; stdout_to: fed to consume
  std::optional<std::string> cannot_run; // the process could not start, for this reason
};

inline Reply ok(std::string output = "") { return {0, std::move(output), std::nullopt}; }
inline Reply exits(int code, std::string output = "") { return {code, std::move(output), std::nullopt}; }
inline Reply cannot_run(std::string why) { return {0, "", std::move(why)}; }

struct Call {
  enum class Kind { capture, passthrough, stdout_to, stdin_from };
  Kind kind = Kind::capture;
  docker::Argv argv;
  std::string cwd;
  os::Stderr stderr_mode = os::Stderr::discard; // capture only
  std::string input;                            // stdin_from: everything produce gave
};

inline std::string shown(const docker::Argv& argv) { return fmt::format("{}", fmt::join(argv, " ")); }

class FakeClient final : public docker::Client {
public:
  using Effect = std::function<void(const Call&)>;

  // Calls whose argv starts with `prefix` get these replies in turn, the
  // last one again for every later call; the longest matching prefix wins.
  // `effect` runs at each such call before it is answered (to look at the
  // environment or the disk at that moment, or to change them).
  FakeClient& on(docker::Argv prefix, std::vector<Reply> replies, Effect effect = {})
  {
    REQUIRE_FALSE(replies.empty());
    m_rules.push_back({std::move(prefix), std::move(replies), std::move(effect), 0});
    return *this;
  }
  FakeClient& on(docker::Argv prefix, Reply reply, Effect effect = {})
  {
    return on(std::move(prefix), std::vector<Reply>{std::move(reply)}, std::move(effect));
  }

  std::vector<Call> calls() const
  {
    const std::lock_guard lock(m_mutex);
    return m_calls;
  }
  std::vector<docker::Argv> argvs() const
  {
    std::vector<docker::Argv> out;
    for (const auto& call : calls()) {
      out.push_back(call.argv);
    }
    return out;
  }
  std::size_t call_count() const
  {
    const std::lock_guard lock(m_mutex);
    return m_calls.size();
  }

  tl::expected<os::CaptureResult, std::string> capture(const docker::Argv& argv, const std::string& cwd,
                                                       os::Stderr stderr_mode) const override
  {
    const auto reply = answer({Call::Kind::capture, argv, cwd, stderr_mode, ""});
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    return os::CaptureResult{reply->exit_code, reply->output};
  }

  tl::expected<int, std::string> passthrough(const docker::Argv& argv, const std::string& cwd) const override
  {
    const auto reply = answer({Call::Kind::passthrough, argv, cwd, os::Stderr::inherit, ""});
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    return reply->exit_code;
  }

  tl::expected<int, std::string> stdout_to(const docker::Argv& argv, const std::string& cwd,
                                           const os::Consume& consume) const override
  {
    const auto reply = answer({Call::Kind::stdout_to, argv, cwd, os::Stderr::inherit, ""});
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    if (!reply->output.empty()) {
      if (auto consumed = consume(reply->output); !consumed) {
        return tl::unexpected(consumed.error()); // as os/process: the command is killed
      }
    }
    return reply->exit_code;
  }

  tl::expected<int, std::string> stdin_from(const docker::Argv& argv, const std::string& cwd,
                                            const os::Produce& produce) const override
  {
    Call call{Call::Kind::stdin_from, argv, cwd, os::Stderr::inherit, ""};
    for (std::string buffer;;) {
      buffer.clear();
      const auto more = produce(buffer);
      if (!more) {
        return tl::unexpected(more.error());
      }
      call.input += buffer;
      if (!*more) {
        break;
      }
    }
    const auto reply = answer(std::move(call));
    if (!reply) {
      return tl::unexpected(reply.error());
    }
    return reply->exit_code;
  }

private:
  struct Rule {
    docker::Argv prefix;
    std::vector<Reply> replies;
    Effect effect;
    std::size_t used;
  };

  tl::expected<Reply, std::string> answer(Call call) const
  {
    Rule* rule = nullptr;
    Reply reply;
    {
      const std::lock_guard lock(m_mutex);
      m_calls.push_back(call);
      for (auto& candidate : m_rules) {
        const bool matches = candidate.prefix.size() <= call.argv.size()
                             && std::equal(candidate.prefix.begin(), candidate.prefix.end(), call.argv.begin());
        if (matches && (rule == nullptr || candidate.prefix.size() > rule->prefix.size())) {
          rule = &candidate;
        }
      }
      if (rule != nullptr) {
        reply = rule->replies[std::min(rule->used, rule->replies.size() - 1)];
        ++rule->used;
      }
    }
    if (rule == nullptr) {
      FAIL_CHECK("unexpected docker call: " << shown(call.argv));
      return tl::unexpected("the fake has no answer for " + shown(call.argv));
    }
    if (rule->effect) {
      rule->effect(call);
    }
    if (reply.cannot_run) {
      return tl::unexpected(*reply.cannot_run);
    }
    return reply;
  }

  mutable std::mutex m_mutex;
  mutable std::vector<Rule> m_rules;
  mutable std::vector<Call> m_calls;
};

} // namespace drydock::test
