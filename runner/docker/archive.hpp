#pragma once
// Image archives in the cache directory: `docker save` output compressed
// with zstd (its frame checksum on), written to a temporary file and
// renamed into place, so a reader never sees a partial archive under the
// real name. An interrupted writer removes its temporary file.
#include <tl/expected.hpp>

#include <functional>
#include <string>
#include <vector>

#include "util/file.hpp"

using ZSTD_CCtx = struct ZSTD_CCtx_s;

namespace drydock::docker {

// <dir>/<name>-<key>.tar.zst
std::string archive_path(const std::string& dir, const std::string& name, const std::string& key);

class ArchiveWriter {
public:
  ArchiveWriter() = default;
  ~ArchiveWriter(); // removes the temporary file unless committed
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  tl::expected<void, std::string> open(const std::string& path, int level);
  tl::expected<void, std::string> write(std::string_view data);
  // Ends the frame, syncs and renames the file into place.
  tl::expected<void, std::string> commit();
  std::uint64_t bytes_written() const { return m_written; }

private:
  tl::expected<void, std::string> flush(bool end);

  util::AtomicFile m_file;
  bool m_open = false; // the temporary file exists and is tracked for the signal handler
  ZSTD_CCtx* m_zstd = nullptr;
  std::string m_out;
  std::uint64_t m_written = 0;
};

// Decompresses the whole archive, checking the frame checksum, and hands
// the plain bytes to `sink` (or just checks them when sink is empty).
// An error names what is wrong: truncated, corrupted, not zstd.
using ArchiveSink = std::function<tl::expected<void, std::string>(std::string_view chunk)>;
tl::expected<void, std::string> read_archive(const std::string& path, const ArchiveSink& sink);

// A producer for Client::stdin_from (docker load): the archive's plain
// bytes, chunk by chunk, with the same checks as read_archive.
class ArchiveReader {
public:
  ArchiveReader() = default;
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  tl::expected<void, std::string> open(const std::string& path);
  // Fills buffer with the next plain bytes; false once the end was checked.
  tl::expected<bool, std::string> next(std::string& buffer);

private:
  struct State;
  State* m_state = nullptr;
};

// Removes this image's archives beyond the `keep` most recently used (the
// cache touches an archive whenever its key is used), never the one for
// `current_key`. Returns the removed paths.
std::vector<std::string> prune_archives(const std::string& dir, const std::string& name, const std::string& current_key,
                                        int keep);

// Removes temporary files of this image (its archives', its manifest's, its
// archive requests') left by a writer that was killed outright; never a
// live writer's.
void remove_stale_temporaries(const std::string& dir, const std::string& name);

} // namespace drydock::docker
