#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "os/glob.hpp"

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

namespace {
struct TempTree {
  TempTree()
  {
    root = fs::temp_directory_path() / ("drydock-glob-" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (const char* file : {"a.rb", "b.txt", "spec/x_spec.rb", "spec/unit/y_spec.rb", "spec/unit/deep/z_spec.rb",
                             ".hidden.rb", "requirements/base.txt", "requirements/dev.txt", ".git/hooks/h_spec.rb",
                             ".venv/lib/site.txt", "spec/.cache/c_spec.rb", ".github/workflows/ci.yml"}) {
      fs::create_directories((root / file).parent_path());
      std::ofstream(root / file) << "x";
    }
  }
  ~TempTree() { fs::remove_all(root); }
  fs::path root;
};
} // namespace

TEST_CASE("globs match within a directory and skip hidden files", "[os][glob]")
{
  TempTree tree;
  CHECK(drydock::os::expand_glob(tree.root, "*.rb") == Paths{"a.rb"});
  CHECK(drydock::os::expand_glob(tree.root, "requirements/*.txt")
        == Paths{"requirements/base.txt", "requirements/dev.txt"});
  CHECK(drydock::os::expand_glob(tree.root, "b.txt") == Paths{"b.txt"});
  CHECK(drydock::os::expand_glob(tree.root, "missing.txt").empty());
}

TEST_CASE("** matches any number of directories, zero included", "[os][glob]")
{
  TempTree tree;
  CHECK(drydock::os::expand_glob(tree.root, "spec/**/*_spec.rb")
        == Paths{"spec/unit/deep/z_spec.rb", "spec/unit/y_spec.rb", "spec/x_spec.rb"});
}

TEST_CASE("** does not descend into hidden directories", "[os][glob]")
{
  TempTree tree;
  CHECK(drydock::os::expand_glob(tree.root, "**/*.txt")
        == Paths{"b.txt", "requirements/base.txt", "requirements/dev.txt"});
  CHECK(drydock::os::expand_glob(tree.root, "**/*_spec.rb")
        == Paths{"spec/unit/deep/z_spec.rb", "spec/unit/y_spec.rb", "spec/x_spec.rb"});
  CHECK(drydock::os::expand_glob(tree.root, "**/workflows/*.yml").empty());
}

TEST_CASE("a segment starting with a dot matches hidden names", "[os][glob]")
{
  TempTree tree;
  CHECK(drydock::os::expand_glob(tree.root, ".github/**/*.yml") == Paths{".github/workflows/ci.yml"});
  CHECK(drydock::os::expand_glob(tree.root, "**/.github/workflows/ci.yml") == Paths{".github/workflows/ci.yml"});
  CHECK(drydock::os::expand_glob(tree.root, ".*.rb") == Paths{".hidden.rb"});
  CHECK(drydock::os::expand_glob(tree.root, "spec/.c*/*.rb") == Paths{"spec/.cache/c_spec.rb"});
}
