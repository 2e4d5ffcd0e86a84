#pragma once
// Reading a config file, writing files atomically, and the folder for
// temporary files, with failures as values.
#include <tl/expected.hpp>

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace drydock {

// A CI config larger than this is a mistake (or an attack), not a pipeline.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{16} * 1024 * 1024;

// The file's bytes, or a reason such as "No such file or directory".
tl::expected<std::string, std::string> read_config_file(const std::string& path);

} // namespace drydock

namespace drydock::util {

// Where AtomicFile writes `path` before the rename:
// <dir>/.<name>.partial-<pid>-<random>, hidden, named by its writer so a dead
// writer's file can be told apart, and new at each call, so two writers of
// one file (two runs, or two threads of one) never share it.
std::string temporary_path_for(const std::string& path);

// Whether `file_name` is a temporary file of temporary_path_for's whose
// writer is gone (killed outright): safe to remove, never a live writer's.
bool is_abandoned_temporary(std::string_view file_name);

// A file written under its temporary name and renamed into place on commit
// (after fsync), so a reader finds the old file or the whole new one, never
// part of one. The temporary file is removed on every failure, and when the
// writer goes away uncommitted (an error path, an exception).
class AtomicFile {
public:
  AtomicFile() = default;
  ~AtomicFile() { discard(); }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Creates the folder if need be and the temporary file (a new one: an
  // existing file of that name is an error, never written into).
  tl::expected<void, std::string> open(const std::string& path);
  // The same with the temporary name chosen by the caller (temporary_path_for).
  tl::expected<void, std::string> open(const std::string& path, const std::string& temp);
  tl::expected<void, std::string> write(std::string_view data);
  // Flushes, syncs, closes and renames into place, then syncs the folder so
  // the rename is durable.
  tl::expected<void, std::string> commit();
  // Closes and removes the temporary file, unless committed.
  void discard();

private:
  std::string m_path;
  std::string m_temp;
  std::FILE* m_file = nullptr;
};

// Writes all of `text` to a blocking fd, through short writes and EINTR;
// false when the fd takes no more (its reader went away, the disk is full).
bool write_fully(int fd, std::string_view text);

// The whole text as the file's new content, through an AtomicFile.
tl::expected<void, std::string> write_file_atomically(const std::string& path, std::string_view text);

// Files copied in from somewhere drydock does not trust (a job's
// container, a build's work tree) stay below `root`: why `dir` (inside
// root, lexically) could lead elsewhere, or nothing. A part of it that is
// a symbolic link, or a path that climbs out, is refused.
std::optional<std::string> escape_from(const std::string& root, const std::string& dir);
// Removes every symbolic link below `dir` (none is followed); how many.
int remove_symlinks(const std::string& dir);

// The folder for temporary files: TMPDIR when set and not empty, else /tmp.
// Give the TMPDIR a run sees (its environment's); the overload without one
// asks drydock's own environment.
std::string temp_dir(const std::optional<std::string>& tmpdir);
std::string temp_dir();

} // namespace drydock::util
