#pragma once
// `drydock run --fresh`: the build runs in a new checkout of the commit, in
// a temporary directory, so untracked files and local edits stay out (as
// on CircleCI, which cloned the pushed commit). A local clone, so no
// network: `git clone --shared` of the work tree's repository, HEAD checked
// out detached. `--with-changes` applies the uncommitted changes of tracked
// files on top (`git diff HEAD`); untracked files never enter.
#include <tl/expected.hpp>

#include <string>

#include "os/git.hpp"

namespace drydock::os {

// What `git status` says beyond the commit: tracked files changed (staged
// or not), and untracked files not ignored.
struct TreeState {
  int changed = 0;
  int untracked = 0;
  bool clean() const { return changed == 0 && untracked == 0; }
};
TreeState tree_state(const std::string& top_dir);

// A commit of a bare repository (the agent's mirror) to build: checked out
// on a local branch of the build's branch (so the build sees it), origin
// set to the project's URL (so it sees its owner and name).
struct CommitSource {
  std::string git_dir;
  std::string sha;
  std::string branch; // empty: detached (a tag build)
  std::string origin_url;
  // Objects copied (or hard-linked), no alternates: the checkout can move
  // to a container, where the source's path means nothing.
  bool self_contained = false;
};

class FreshCheckout {
public:
  static tl::expected<FreshCheckout, std::string> of_commit(const CommitSource& source, const std::string& owner);
  // A checkout of `repo`'s HEAD (with its uncommitted tracked changes when
  // asked) under $TMPDIR/drydock-checkout-XXXXXX/src, owned by `owner`
  // ("PID:START", for `drydock clean` after a kill -9).
  static tl::expected<FreshCheckout, std::string> create(const RepoFacts& repo, bool with_changes,
                                                         const std::string& owner);
  FreshCheckout(FreshCheckout&& other) noexcept;
  FreshCheckout& operator=(FreshCheckout&&) = delete;
  FreshCheckout(const FreshCheckout&) = delete;
  FreshCheckout& operator=(const FreshCheckout&) = delete;
  ~FreshCheckout(); // removes it, unless kept

  // Where a file of the work tree is in the checkout.
  std::string path_of(const std::string& work_tree_path) const;
  const std::string& dir() const { return m_src; }
  // Leave it in place at the end (`--keep`).
  void keep() { m_keep = true; }

private:
  FreshCheckout(std::string root, std::string src, std::string top)
    : m_root(std::move(root)), m_src(std::move(src)), m_top(std::move(top))
  {
  }

  std::string m_root; // the temporary directory: drydock.owner and src/
  std::string m_src;  // the checkout
  std::string m_top;  // the work tree it was made from
  bool m_keep = false;
};

} // namespace drydock::os
