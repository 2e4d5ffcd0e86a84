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

namespace {

// $TMPDIR/drydock-checkout-XXXXXX with its owner file (for `drydock
// clean`), and `from` cloned into its src/ without a checkout.
tl::expected<std::pair<std::string, std::string>, std::string>
clone_into_temp(const std::string& from, const std::string& owner, bool shared = true)
{
  std::string root = util::temp_dir() + "/drydock-checkout-XXXXXX";
  if (::mkdtemp(root.data()) == nullptr) {
    return tl::unexpected(fmt::format("cannot make the checkout's directory: {}", std::strerror(errno)));
  }
  std::ofstream(fs::path(root) / "drydock.owner") << owner << "\n";
  const std::string src = (fs::path(root) / "src").string();
  if (auto cloned = git(root, {"clone", "--quiet", shared ? "--shared" : "--local", "--no-checkout", "--", from, src},
                        "clone the repository");
      !cloned) {
    std::error_code ec;
    fs::remove_all(root, ec);
    return tl::unexpected(cloned.error());
  }
  return std::pair{root, src};
}

} // namespace

tl::expected<FreshCheckout, std::string> FreshCheckout::create(const RepoFacts& repo, bool with_changes,
                                                               const std::string& owner)
{
  if (repo.top_dir.empty() || repo.sha.empty()) {
    return tl::unexpected(std::string("--fresh needs a git work tree with a commit"));
  }
  auto made = clone_into_temp(repo.top_dir, owner);
  if (!made) {
    return tl::unexpected(made.error());
  }
  FreshCheckout checkout(made->first, made->second, repo.top_dir);
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

tl::expected<FreshCheckout, std::string> FreshCheckout::of_commit(const CommitSource& source, const std::string& owner)
{
  auto made = clone_into_temp(source.git_dir, owner, !source.self_contained);
  if (!made) {
    return tl::unexpected(made.error());
  }
  FreshCheckout checkout(made->first, made->second, source.git_dir);
  const std::vector<std::string> out =
      source.branch.empty() ? std::vector<std::string>{"checkout", "--quiet", "--detach", source.sha, "--"}
                            : std::vector<std::string>{"checkout", "--quiet", "-B", source.branch, source.sha, "--"};
  if (auto checked = git(checkout.m_src, out, "check out the commit"); !checked) {
    return tl::unexpected(checked.error());
  }
  if (auto origin = git(checkout.m_src, {"remote", "set-url", "origin", "--", source.origin_url}, "set the origin");
      !origin) {
    return tl::unexpected(origin.error());
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
