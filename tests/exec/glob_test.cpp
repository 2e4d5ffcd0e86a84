#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "exec/glob.hpp"

namespace fs = std::filesystem;
using Paths = std::vector<std::string>;

namespace {
struct TempTree {
  TempTree()
  {
    root = fs::temp_directory_path() / ("drydock-glob-" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (const char* file : {"a.rb", "b.txt", "spec/x_spec.rb", "spec/unit/y_spec.rb", "spec/unit/deep/z_spec.rb",
                             ".hidden.rb", "requirements/base.txt", "requirements/dev.txt"}) {
      fs::create_directories((root / file).parent_path());
      std::ofstream(root / file) << "x";
    }
  }
  ~TempTree() { fs::remove_all(root); }
  fs::path root;
};
} // namespace

TEST_CASE("globs match within a directory and skip hidden files", "[exec][glob]")
{
  TempTree tree;
  CHECK(drydock::exec::expand_glob(tree.root, "*.rb") == Paths{"a.rb"});
  CHECK(drydock::exec::expand_glob(tree.root, "requirements/*.txt") == Paths{"requirements/base.txt", "requirements/dev.txt"});
  CHECK(drydock::exec::expand_glob(tree.root, "b.txt") == Paths{"b.txt"});
  CHECK(drydock::exec::expand_glob(tree.root, "missing.txt").empty());
}

TEST_CASE("** matches any number of directories, zero included", "[exec][glob]")
{
  TempTree tree;
  CHECK(drydock::exec::expand_glob(tree.root, "spec/**/*_spec.rb")
        == Paths{"spec/unit/deep/z_spec.rb", "spec/unit/y_spec.rb", "spec/x_spec.rb"});
}
