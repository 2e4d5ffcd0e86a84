#include "docker/archive.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <thread>

namespace fs = std::filesystem;

namespace drydock::docker {
namespace {

// The temporary file being written, for the signal handler: unlink() is
// safe in a handler, so SIGTERM/SIGINT remove it before drydock exits.
char g_temp_path[4096];
std::atomic<bool> g_temp_active{false};

extern "C" void remove_temp_and_exit(int sig)
{
  if (g_temp_active.load()) {
    ::unlink(g_temp_path);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void track_temp(const std::string& path)
{
  const auto size = std::min(path.size(), sizeof g_temp_path - 1);
  std::memcpy(g_temp_path, path.data(), size);
  g_temp_path[size] = '\0';
  g_temp_active = true;
  for (const int sig : {SIGINT, SIGTERM, SIGHUP}) {
    ::signal(sig, remove_temp_and_exit);
  }
}

void untrack_temp() { g_temp_active = false; }

std::string zstd_error(std::size_t code) { return ZSTD_getErrorName(code); }

bool is_key(std::string_view text)
{
  return text.size() == 32 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The key of an archive or manifest file of this image, or empty.
std::string key_of(const std::string& file, const std::string& name, std::string_view suffix)
{
  const std::string prefix = name + "-";
  if (!file.starts_with(prefix) || !file.ends_with(suffix)) {
    return {};
  }
  const std::string key = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
  return is_key(key) ? key : std::string{};
}

} // namespace

std::string archive_path(const std::string& dir, const std::string& name, const std::string& key)
{
  return (fs::path(dir) / fmt::format("{}-{}.tar.zst", name, key)).string();
}

ArchiveWriter::~ArchiveWriter()
{
  if (m_open) {
    m_file.discard(); // before the handler forgets it: a signal now still removes it
    untrack_temp();
  }
  ZSTD_freeCCtx(m_zstd);
}

tl::expected<void, std::string> ArchiveWriter::open(const std::string& path, int level)
{
  // Tracked before it exists, so no moment has it on disk and untracked.
  const std::string temp = util::temporary_path_for(path);
  track_temp(temp);
  if (auto opened = m_file.open(path, temp); !opened) {
    untrack_temp();
    return opened;
  }
  m_open = true;
  m_zstd = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(m_zstd, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(m_zstd, ZSTD_c_checksumFlag, 1);
  // Worker threads when this libzstd has them; the call fails harmlessly otherwise.
  ZSTD_CCtx_setParameter(m_zstd, ZSTD_c_nbWorkers, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  m_out.resize(ZSTD_CStreamOutSize());
  return {};
}

tl::expected<void, std::string> ArchiveWriter::write(std::string_view data)
{
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer out{m_out.data(), m_out.size(), 0};
    const std::size_t code = ZSTD_compressStream2(m_zstd, &out, &in, ZSTD_e_continue);
    if (ZSTD_isError(code)) {
      return tl::unexpected("zstd: " + zstd_error(code));
    }
    if (auto written = m_file.write(std::string_view(m_out.data(), out.pos)); !written) {
      return written;
    }
    m_written += out.pos;
  }
  return {};
}

tl::expected<void, std::string> ArchiveWriter::flush(bool end)
{
  ZSTD_inBuffer in{nullptr, 0, 0};
  std::size_t remaining = 0;
  do {
    ZSTD_outBuffer out{m_out.data(), m_out.size(), 0};
    remaining = ZSTD_compressStream2(m_zstd, &out, &in, end ? ZSTD_e_end : ZSTD_e_flush);
    if (ZSTD_isError(remaining)) {
      return tl::unexpected("zstd: " + zstd_error(remaining));
    }
    if (auto written = m_file.write(std::string_view(m_out.data(), out.pos)); !written) {
      return written;
    }
    m_written += out.pos;
  } while (remaining != 0);
  return {};
}

tl::expected<void, std::string> ArchiveWriter::commit()
{
  if (auto flushed = flush(true); !flushed) {
    return flushed; // the destructor removes the temporary file
  }
  auto committed = m_file.commit(); // renamed into place, or the temporary file removed
  m_open = false;
  untrack_temp();
  return committed;
}

struct ArchiveReader::State {
  std::FILE* file = nullptr;
  ZSTD_DCtx* zstd = nullptr;
  std::string in_buffer;
  ZSTD_inBuffer in{nullptr, 0, 0};
  std::size_t last = 1; // ZSTD_decompressStream's hint: 0 once a frame is complete
  std::string path;
};

ArchiveReader::~ArchiveReader()
{
  if (m_state != nullptr) {
    if (m_state->file != nullptr) {
      std::fclose(m_state->file);
    }
    ZSTD_freeDCtx(m_state->zstd);
    delete m_state;
  }
}

tl::expected<void, std::string> ArchiveReader::open(const std::string& path)
{
  m_state = new State;
  m_state->path = path;
  m_state->file = std::fopen(path.c_str(), "rb");
  if (m_state->file == nullptr) {
    return tl::unexpected(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  m_state->zstd = ZSTD_createDCtx();
  m_state->in_buffer.resize(ZSTD_DStreamInSize());
  return {};
}

tl::expected<bool, std::string> ArchiveReader::next(std::string& buffer)
{
  State& s = *m_state;
  buffer.resize(ZSTD_DStreamOutSize());
  while (true) {
    if (s.in.pos == s.in.size) {
      const std::size_t got = std::fread(s.in_buffer.data(), 1, s.in_buffer.size(), s.file);
      if (got == 0) {
        if (std::ferror(s.file)) {
          return tl::unexpected(fmt::format("cannot read {}: {}", s.path, std::strerror(errno)));
        }
        if (s.last != 0) {
          return tl::unexpected(std::string("the archive is truncated"));
        }
        buffer.clear();
        return false;
      }
      s.in = {s.in_buffer.data(), got, 0};
    }
    ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
    s.last = ZSTD_decompressStream(s.zstd, &out, &s.in);
    if (ZSTD_isError(s.last)) {
      return tl::unexpected(fmt::format("the archive is corrupted ({})", zstd_error(s.last)));
    }
    if (out.pos > 0) {
      buffer.resize(out.pos);
      return true;
    }
  }
}

tl::expected<void, std::string> read_archive(const std::string& path, const ArchiveSink& sink)
{
  ArchiveReader reader;
  if (auto opened = reader.open(path); !opened) {
    return opened;
  }
  std::string buffer;
  while (true) {
    const auto more = reader.next(buffer);
    if (!more) {
      return tl::unexpected(more.error());
    }
    if (!buffer.empty() && sink) {
      if (auto sunk = sink(buffer); !sunk) {
        return sunk;
      }
    }
    if (!*more) {
      return {};
    }
  }
}

std::vector<std::string> prune_archives(const std::string& dir, const std::string& name, const std::string& current_key,
                                        int keep)
{
  struct Found {
    fs::file_time_type time;
    std::string key;
  };
  std::vector<Found> archives;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string key = key_of(entry.path().filename().string(), name, ".tar.zst");
    if (!key.empty() && key != current_key) {
      archives.push_back({entry.last_write_time(ec), key});
    }
  }
  std::sort(archives.begin(), archives.end(), [](const Found& a, const Found& b) { return a.time > b.time; });
  std::vector<std::string> removed;
  // The current archive takes one of the `keep` places.
  for (std::size_t i = static_cast<std::size_t>(std::max(keep - 1, 0)); i < archives.size(); ++i) {
    const std::string path = archive_path(dir, name, archives[i].key);
    if (fs::remove(path, ec)) {
      removed.push_back(path);
    }
  }
  return removed;
}

void remove_stale_temporaries(const std::string& dir, const std::string& name)
{
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    // An archive's, the manifest's or an archive request's: .NAME-*, .NAME.*
    const bool ours = file.starts_with("." + name) && file.size() > name.size() + 1
                      && (file[name.size() + 1] == '-' || file[name.size() + 1] == '.');
    if (ours && util::is_abandoned_temporary(file)) {
      fs::remove(entry.path(), ec);
    }
  }
}

} // namespace drydock::docker
