// `keyd store repair` on the file store: under the path lock, with the existing master key only,
// take every `_v<N>.rec` that opens (AES-256-GCM over AAD = path + N, payload version N), and
// commit metadata listing exactly those versions. Records that fail stay where they are; nothing
// is deleted or rewritten but the metadata file, which did not exist before.
#include "keyd/adapters/file_store/file_store_repair.hpp"

#include "master_key.hpp"
#include "record_crypto.hpp"
#include "store_layout.hpp"
#include "store_metadata.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <fmt/format.h>

namespace keyd::adapters {
namespace {

using detail::PathLayout;

constexpr std::string_view k_created_time_source =
    "each version's created_time is its record file's modification time (when keyd wrote it, unless the file "
    "was touched since)";

// The record's modification time as RFC 3339: the best honest created_time left once the metadata is gone.
Result<std::string> modification_time(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return fail(ErrorCode::io, fmt::format("stat: {}", std::system_category().message(errno)));
  }
  const auto since_epoch = std::chrono::seconds{st.st_mtim.tv_sec};
  return ports::format_rfc3339(std::chrono::system_clock::time_point{since_epoch});
}

class FileStoreRepair final : public ports::StoreRepair {
 public:
  FileStoreRepair(FileStoreOptions options, const ports::Clock& clock, FileSystem& fs)
      : m_options(std::move(options)), m_clock(clock), m_fs(fs) {}

  Result<ports::RepairReport> repair(std::string_view path) override {
    auto result = run(path);
    if (!result) return fail(std::move(result).error().with_context(fmt::format("store repair {}", path)));
    return result;
  }

 private:
  Result<ports::RepairReport> run(std::string_view path) {
    KEYD_TRY(detail::validate_store_path(path));
    const PathLayout layout(m_options.dir, path);
    std::error_code ec;
    if (!std::filesystem::is_directory(layout.dir(), ec)) {
      return fail(ErrorCode::not_found, fmt::format("no directory {}: nothing to repair", layout.dir().string()));
    }
    KEYD_ASSIGN_OR_RETURN(const FileLock lock, FileLock::acquire(layout.lock_file()));
    KEYD_ASSIGN_OR_RETURN(const detail::StoreKeys keys, load_keys());
    KEYD_TRY(refuse_existing_metadata(path, layout, keys));
    const std::vector<int> versions = detail::record_versions_in(layout.dir());
    if (versions.empty()) {
      return fail(ErrorCode::not_found,
                  fmt::format("directory {} holds no record files: nothing to repair", layout.dir().string()));
    }

    ports::RepairReport report{layout.dir().string(), {}, 0, {}, std::string(k_created_time_source)};
    for (const int version : versions) {
      const auto file = layout.record_file(version);
      auto created = verify_record(keys, path, version, file);
      if (!created) {
        report.skipped.push_back({file.string(), created.error().message});
        continue;
      }
      report.recovered.push_back({version, std::move(*created)});
    }
    if (report.recovered.empty()) {
      return fail(ErrorCode::integrity,
                  fmt::format("none of the {} record files in {} verifies under master key {} ({}: {}); nothing "
                              "was written",
                              versions.size(), layout.dir().string(), master_key_file().string(),
                              report.skipped.front().file, report.skipped.front().reason));
    }
    report.current_version = report.recovered.back().version;
    KEYD_TRY(commit(path, layout, keys, report));
    return report;
  }

  // The record's modification time when it opens as version `version` of `path`, else why not.
  static Result<std::string> verify_record(const detail::StoreKeys& keys, std::string_view path, int version,
                                           const std::filesystem::path& file) {
    KEYD_ASSIGN_OR_RETURN(const Secret sealed, read_secret_file(file));
    KEYD_TRY(detail::open_record(keys.record_key, path, version, sealed.bytes()));
    return modification_time(file);
  }

  Status commit(std::string_view path, const PathLayout& layout, const detail::StoreKeys& keys,
                const ports::RepairReport& report) {
    ports::PathMetadata meta;
    for (const auto& v : report.recovered) {
      meta.versions.push_back(
          {.version = v.version, .created_time = v.created_time, .deleted = false, .destroyed = false});
    }
    // Keep every recovered version: a smaller max_versions prunes on the next write, as usual.
    meta.max_versions = std::max(m_options.max_versions, static_cast<int>(meta.versions.size()));
    meta.current_version = report.current_version;
    meta.oldest_version = meta.versions.front().version;
    meta.created_time = meta.versions.front().created_time;
    meta.updated_time = ports::format_rfc3339(m_clock.now());
    KEYD_ASSIGN_OR_RETURN(const std::string text, detail::serialise_metadata(keys.metadata_key, path, meta));
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
    return atomic_write_file(layout.metadata_file(), {bytes, text.size()}, 0600, m_fs);
  }

  // Repair never replaces metadata: authentic metadata needs no repair, and unauthentic metadata
  // is evidence (a wrong master key or tampering) the operator must look at first.
  Status refuse_existing_metadata(std::string_view path, const PathLayout& layout, const detail::StoreKeys& keys) {
    auto text = read_text_file(layout.metadata_file());
    if (!text) return text.error().code == ErrorCode::not_found ? Status{} : fail(std::move(text).error());
    const auto parsed = detail::parse_metadata(keys.metadata_key, path, *text);
    if (parsed && parsed->authentic) {
      return fail(ErrorCode::conflict, fmt::format("metadata file {} exists and authenticates: nothing to repair",
                                                   layout.metadata_file().string()));
    }
    return fail(ErrorCode::integrity,
                fmt::format("metadata file {} exists but does not authenticate under master key {} (wrong master "
                            "key or tampered metadata); repair does not replace it: move it aside and run repair "
                            "again",
                            layout.metadata_file().string(), master_key_file().string()));
  }

  // The existing master key only: a new one could verify nothing.
  Result<detail::StoreKeys> load_keys() {
    const auto file = master_key_file();
    auto master = detail::load_master_key(file);
    if (!master && master.error().code == ErrorCode::not_found) {
      return fail(ErrorCode::invalid_config,
                  fmt::format("master key file {} does not exist; repair needs the master key the records were "
                              "written with (nothing was changed)",
                              file.string()));
    }
    if (!master) return fail(std::move(master).error());
    return detail::derive_store_keys(*master);
  }

  [[nodiscard]] std::filesystem::path master_key_file() const {
    return detail::master_key_path(m_options.dir, m_options.master_key_file);
  }

  FileStoreOptions m_options;
  const ports::Clock& m_clock;
  FileSystem& m_fs;
};

}  // namespace

Result<std::unique_ptr<ports::StoreRepair>> make_file_store_repair(FileStoreOptions options, const ports::Clock& clock,
                                                                   FileSystem& fs) {
  if (options.dir.empty()) return fail(ErrorCode::invalid_config, "file store: store.file.dir is empty");
  return std::make_unique<FileStoreRepair>(std::move(options), clock, fs);
}

}  // namespace keyd::adapters
