// The embedded file store: Vault-KV-v2-like versions with check-and-set over encrypted record
// files. A write is: lock the path, authenticate the metadata, check cas, write the new record,
// commit by atomically replacing the metadata, then prune. A crash at any step leaves the old
// metadata (old version current) or the new one; everything else is an orphan the next write removes.
#include "keyd/adapters/file_store/file_store.hpp"

#include "master_key.hpp"
#include "record_crypto.hpp"
#include "store_layout.hpp"
#include "store_metadata.hpp"

#include <limits>
#include <mutex>
#include <set>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace keyd::adapters {
namespace {

using detail::PathLayout;
using ports::PathMetadata;

class FileStore final : public ports::SecretStore {
 public:
  FileStore(FileStoreOptions options, const ports::Clock& clock, FileSystem& fs)
      : m_options(std::move(options)), m_clock(clock), m_fs(fs) {}

  [[nodiscard]] std::string describe() const override { return "file store " + m_options.dir.string(); }

  // Each path's calls hold its flock (a descriptor of their own, so threads exclude each other as
  // processes do); the derived keys are loaded once under m_keys_mutex.
  [[nodiscard]] ports::StoreCapabilities capabilities() const override {
    ports::StoreCapabilities caps;
    caps.concurrent = true;
    return caps;
  }

  Result<PathMetadata> metadata(std::string_view path) override {
    return with_store_context(path, [&]() -> Result<PathMetadata> {
      KEYD_TRY(detail::validate_store_path(path));
      const PathLayout layout(m_options.dir, path);
      KEYD_ASSIGN_OR_RETURN(const FileLock lock, lock_existing(path, layout));
      KEYD_ASSIGN_OR_RETURN(const auto parsed, load_metadata(path, layout, false));
      KEYD_TRY(require_authentic(*parsed, layout));
      return parsed->meta;
    });
  }

  Result<ports::StoredVersion> read(std::string_view path, std::optional<int> version) override {
    return with_store_context(path, [&]() -> Result<ports::StoredVersion> {
      KEYD_TRY(detail::validate_store_path(path));
      const PathLayout layout(m_options.dir, path);
      KEYD_ASSIGN_OR_RETURN(const FileLock lock, lock_existing(path, layout));
      KEYD_ASSIGN_OR_RETURN(const auto parsed, load_metadata(path, layout, false));
      const int target = version.value_or(parsed->meta.current_version);

      // Open the record before judging the metadata, so a wrong master key or a tampered record is
      // reported against the record file; nothing is returned until the metadata is verified too.
      std::optional<ports::VersionData> data;
      if (detail::find_version(parsed->meta, target) != nullptr) {
        auto opened = read_record(path, layout, target);
        if (opened) {
          data = std::move(*opened);
        } else if (opened.error().code != ErrorCode::not_found) {
          return fail(std::move(opened).error());
        }
      }
      KEYD_TRY(require_authentic(*parsed, layout));
      const ports::VersionInfo* info = detail::find_version(parsed->meta, target);
      if (info == nullptr) return fail(version_not_found(parsed->meta, target));
      if (!data) {
        return fail(ErrorCode::integrity, fmt::format("record file {} for version {} is missing",
                                                      layout.record_file(target).string(), target));
      }
      return ports::StoredVersion{.info = *info, .data = std::move(*data)};
    });
  }

  Result<int> write(std::string_view path, const ports::VersionData& data, int cas) override {
    return with_store_context(path, [&]() -> Result<int> {
      KEYD_TRY(detail::validate_store_path(path));
      if (cas < 0) return fail(ErrorCode::invalid_input, fmt::format("check-and-set version {} is negative", cas));
      const PathLayout layout(m_options.dir, path);
      KEYD_TRY(ensure_directory(layout.dir(), 0700));
      KEYD_ASSIGN_OR_RETURN(const FileLock lock, FileLock::acquire(layout.lock_file()));

      // Create the master key only for a path that holds no data yet: with a lost key, writing
      // under a new one would silently orphan every existing version.
      KEYD_ASSIGN_OR_RETURN(const auto existing, load_metadata(path, layout, true));
      PathMetadata meta;
      if (existing) {
        KEYD_TRY(require_authentic(*existing, layout));
        meta = existing->meta;
      }
      if (cas != meta.current_version) {
        return fail(ErrorCode::conflict,
                    fmt::format("check-and-set: expected version {}, current is {}", cas, meta.current_version));
      }
      if (meta.current_version == std::numeric_limits<int>::max()) {
        return fail(ErrorCode::internal, "version counter exhausted");
      }
      KEYD_ASSIGN_OR_RETURN(const detail::StoreKeys* keys, store_keys(!existing.has_value()));

      const int version = meta.current_version + 1;
      const std::string now = ports::format_rfc3339(m_clock.now());
      KEYD_ASSIGN_OR_RETURN(const auto sealed, detail::seal_record(keys->record_key, path, version, data));
      KEYD_TRY(atomic_write_file(layout.record_file(version), sealed, 0600, m_fs));

      meta.versions.push_back({.version = version, .created_time = now, .deleted = false, .destroyed = false});
      meta.max_versions = m_options.max_versions;
      while (static_cast<int>(meta.versions.size()) > meta.max_versions) meta.versions.erase(meta.versions.begin());
      meta.current_version = version;
      meta.oldest_version = meta.versions.front().version;
      if (meta.created_time.empty()) meta.created_time = now;
      meta.updated_time = now;
      KEYD_ASSIGN_OR_RETURN(const std::string text, detail::serialise_metadata(keys->metadata_key, path, meta));
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
      KEYD_TRY(atomic_write_file(layout.metadata_file(), {bytes, text.size()}, 0600, m_fs));  // the commit

      remove_leftovers(layout, meta);
      return version;
    });
  }

 private:
  // Every error names the store's directory and the path: "file store /x/.keyd/store, path
  // ipfs-overlay/swarm-key: ..." (issue 19: a command run against the wrong config says where it looked).
  template <typename F>
  auto with_store_context(std::string_view path, F&& body) const -> decltype(body()) {
    auto result = body();
    if (!result) {
      return fail(std::move(result).error().with_context(fmt::format("{}, path {}", describe(), path)));
    }
    return result;
  }

  // The path lock for a read: not_found (without creating anything) when the path was never written.
  static Result<FileLock> lock_existing(std::string_view path, const PathLayout& layout) {
    std::error_code ec;
    if (!std::filesystem::is_directory(layout.dir(), ec)) return fail(never_written(path));
    return FileLock::acquire(layout.lock_file());
  }

  static Error never_written(std::string_view path) {
    return Error{ErrorCode::not_found,
                 fmt::format("no data at store path {} (nothing stored yet: keyd rotate issues the first key)", path)};
  }

  static Error version_not_found(const PathMetadata& meta, int version) {
    const auto why = version < meta.oldest_version && version > 0 ? "was pruned (max_versions)" : "does not exist";
    return Error{ErrorCode::not_found, fmt::format("version {} {}; kept versions are {}..{}", version, why,
                                                   meta.oldest_version, meta.current_version)};
  }

  static Status require_authentic(const detail::ParsedMetadata& parsed, const PathLayout& layout) {
    if (parsed.authentic) return {};
    return fail(ErrorCode::integrity,
                fmt::format("metadata file {}: authentication failed (wrong master key or tampered metadata)",
                            layout.metadata_file().string()));
  }

  // The parsed metadata; nullopt when absent and `absent_ok`, else not_found.
  Result<std::optional<detail::ParsedMetadata>> load_metadata(std::string_view path, const PathLayout& layout,
                                                              bool absent_ok) {
    auto text = read_text_file(layout.metadata_file());
    if (!text) {
      if (text.error().code != ErrorCode::not_found) return fail(std::move(text).error());
      KEYD_TRY(refuse_records_without_metadata(layout));
      if (absent_ok) return std::optional<detail::ParsedMetadata>{};
      return fail(never_written(path));
    }
    KEYD_ASSIGN_OR_RETURN(const detail::StoreKeys* keys, store_keys(false));
    auto parsed = detail::parse_metadata(keys->metadata_key, path, *text);
    if (!parsed) {
      return fail(
          std::move(parsed).error().with_context(fmt::format("metadata file {}", layout.metadata_file().string())));
    }
    return std::optional<detail::ParsedMetadata>(std::move(*parsed));
  }

  // Record files without a metadata file: the metadata was deleted, or the first write crashed
  // between its record and its commit. Neither may be taken for a path never written (a write
  // would overwrite version 1 and prune the rest), so refuse and point to the deliberate repair.
  static Status refuse_records_without_metadata(const PathLayout& layout) {
    const std::vector<int> versions = detail::record_versions_in(layout.dir());
    if (versions.empty()) return {};
    std::string files;
    for (const int v : versions) files += (files.empty() ? "" : ", ") + layout.record_file(v).filename().string();
    return fail(ErrorCode::integrity,
                fmt::format("directory {} holds record files ({}) but no {}: the metadata was deleted or the first "
                            "write crashed before its commit; nothing was changed. Rebuild the metadata from the "
                            "records that verify under the master key with: keyd store repair --config <file>",
                            layout.dir().string(), files, layout.metadata_file().filename().string()));
  }

  Result<ports::VersionData> read_record(std::string_view path, const PathLayout& layout, int version) {
    const auto file = layout.record_file(version);
    KEYD_ASSIGN_OR_RETURN(const Secret sealed, read_secret_file(file));
    KEYD_ASSIGN_OR_RETURN(const detail::StoreKeys* keys, store_keys(false));
    auto data = detail::open_record(keys->record_key, path, version, sealed.bytes());
    if (!data) return fail(std::move(data).error().with_context(fmt::format("record file {}", file.string())));
    return data;
  }

  // The derived keys, loading (or, when `create`, creating) the master key on first use.
  Result<const detail::StoreKeys*> store_keys(bool create) {
    const std::scoped_lock guard(m_keys_mutex);
    if (m_keys) return &*m_keys;
    const auto file = master_key_file();
    auto master = create ? detail::load_or_create_master_key(file, m_fs) : detail::load_master_key(file);
    if (!master && master.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("master key file {} does not exist but the store holds data", file.string()));
    }
    if (!master) return fail(std::move(master).error());
    KEYD_ASSIGN_OR_RETURN(m_keys, detail::derive_store_keys(*master));
    return &*m_keys;
  }

  [[nodiscard]] std::filesystem::path master_key_file() const {
    return detail::master_key_path(m_options.dir, m_options.master_key_file);
  }

  // Best effort, after the commit: record files of versions no longer kept (pruned, or written by
  // a write that crashed before its commit) and temp files of crashed atomic writes. A record inside
  // the kept range but not kept is one `keyd store repair` could not verify: it stays for inspection
  // until pruning passes it.
  void remove_leftovers(const PathLayout& layout, const PathMetadata& meta) {
    std::set<int> kept;
    for (const auto& v : meta.versions) kept.insert(v.version);
    const auto doomed_version = [&](int v) {
      return !kept.contains(v) && (v < meta.oldest_version || v > meta.current_version);
    };
    std::error_code ec;
    std::vector<std::filesystem::path> doomed;
    for (std::filesystem::directory_iterator it(layout.dir(), ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      const auto version = detail::record_version_from_name(name);
      if ((version && doomed_version(*version)) || detail::is_store_temp_file(name)) doomed.push_back(it->path());
    }
    for (const auto& file : doomed) (void)m_fs.unlink(file);
  }

  FileStoreOptions m_options;
  const ports::Clock& m_clock;
  FileSystem& m_fs;
  std::mutex m_keys_mutex;
  std::optional<detail::StoreKeys> m_keys;
};

}  // namespace

Result<std::unique_ptr<ports::SecretStore>> make_file_store(FileStoreOptions options, const ports::Clock& clock,
                                                            FileSystem& fs) {
  if (options.dir.empty()) return fail(ErrorCode::invalid_config, "file store: store.file.dir is empty");
  if (options.max_versions < 1) {
    return fail(ErrorCode::invalid_config,
                fmt::format("file store: max_versions must be at least 1, got {}", options.max_versions));
  }
  return std::make_unique<FileStore>(std::move(options), clock, fs);
}

}  // namespace keyd::adapters
