#include "os/checkout.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "os/process.hpp"
#include "util/file.hpp"
#include "util/lines.hpp"

namespace fs = std::filesystem;

namespace drydock::os {
namespace {

// git's own words when it fails: the first line of what it said.
std::string git_error(const tl::expected<CaptureResult, std::string>& result)
{
  if (!result) {
    return result.error();
  }
  const auto& out = result->output;
  return out.empty() ? fmt::format("exit {}", result->exit_code) : out.substr(0, out.find('\n'));
}

tl::expected<void, std::string> git(const std::string& dir, const std::vector<std::string>& args, std::string_view what)
{
  std::vector<std::string> argv{"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run_capture(argv, dir, Stderr::merge);
  if (!result || result->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot {}: {}", what, git_error(result)));
  }
  return {};
}

// `git diff HEAD` in the work tree, applied in the checkout.
tl::expected<void, std::string> apply_changes(const std::string& top, const std::string& src)
{
  const auto diff = run_capture({"git", "diff", "--binary", "HEAD"}, top);
  if (!diff || diff->exit_code != 0) {
    return tl::unexpected(fmt::format("cannot read the uncommitted changes: {}", git_error(diff)));
  }
  if (diff->output.empty()) {
    return {};
  }
  bool fed = false;
  const auto applied = run_stdin_from({"git", "apply", "--binary", "--whitespace=nowarn", "-"}, src,
                                      [&](std::string& buffer) -> tl::expected<bool, std::string> {
                                        buffer = fed ? "" : diff->output;
                                        fed = true;
                                        return !buffer.empty();
                                      });
  if (!applied || *applied != 0) {
    return tl::unexpected(applied ? std::string("cannot apply the uncommitted changes in the fresh checkout")
                                  : applied.error());
  }
  return {};
}

} // namespace

TreeState tree_state(const std::string& top_dir)
{
  TreeState state;
  const auto status = run_capture({"git", "status", "--porcelain", "--untracked-files=normal"}, top_dir);
  if (!status || status->exit_code != 0) {
    return state;
  }
  for (const auto line : util::lines(status->output)) {
    if (line.starts_with("??")) {
      ++state.untracked;
    } else if (!line.empty()) {
      ++state.changed;
    }
  }
  return state;
}

tl::expected<FreshCheckout, std::string> FreshCheckout::create(const RepoFacts& repo, bool with_changes,
                                                               const std::string& owner)
{
  if (repo.top_dir.empty() || repo.sha.empty()) {
    return tl::unexpected(std::string("--fresh needs a git work tree with a commit"));
  }
  std::string root = util::temp_dir() + "/drydock-checkout-XXXXXX";
  if (::mkdtemp(root.data()) == nullptr) {
    return tl::unexpected(fmt::format("cannot make the checkout's directory: {}", std::strerror(errno)));
  }
  std::ofstream(fs::path(root) / "drydock.owner") << owner << "\n";
  FreshCheckout checkout(root, (fs::path(root) / "src").string(), repo.top_dir);
  if (auto cloned = git(root, {"clone", "--quiet", "--shared", "--no-checkout", "--", repo.top_dir, checkout.m_src},
                        "clone the work tree");
      !cloned) {
    return tl::unexpected(cloned.error());
  }
  if (auto out = git(checkout.m_src, {"checkout", "--quiet", "--detach", repo.sha, "--"}, "check out the commit");
      !out) {
    return tl::unexpected(out.error());
  }
  if (with_changes) {
    if (auto applied = apply_changes(repo.top_dir, checkout.m_src); !applied) {
      return tl::unexpected(applied.error());
    }
  }
  return checkout;
}

FreshCheckout::FreshCheckout(FreshCheckout&& other) noexcept
  : m_root(std::move(other.m_root)), m_src(std::move(other.m_src)), m_top(std::move(other.m_top)), m_keep(other.m_keep)
{
  other.m_root.clear();
}

FreshCheckout::~FreshCheckout()
{
  if (m_root.empty() || m_keep) {
    return;
  }
  std::error_code ec;
  fs::remove_all(m_root, ec);
}

std::string FreshCheckout::path_of(const std::string& work_tree_path) const
{
  std::error_code ec;
  const auto absolute = fs::weakly_canonical(fs::absolute(work_tree_path, ec), ec);
  const auto top = fs::weakly_canonical(m_top, ec);
  return (fs::path(m_src) / absolute.lexically_relative(top)).lexically_normal().string();
}

} // namespace drydock::os
