// Where the file store keeps one store path on disk, and which store paths are acceptable.
//   <root>/<store path>/_metadata.json   authenticated metadata (the commit point)
//   <root>/<store path>/_v<N>.rec        one encrypted record per kept version
//   <root>/<store path>/_lock            flock(2) file serialising writers of this path
// Path components may not start with '_', so a store path never collides with these files.
#pragma once

#include "keyd/common/result.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::adapters::detail {

// invalid_input for empty, absolute, ".", "..", empty components, '\\', NUL or control characters,
// and components starting with '_' (reserved for the store's own files).
[[nodiscard]] Status validate_store_path(std::string_view path);

class PathLayout {
 public:
  PathLayout(const std::filesystem::path& root, std::string_view store_path)
      : m_dir(root / std::filesystem::path(store_path)) {}
  [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
  [[nodiscard]] std::filesystem::path metadata_file() const { return m_dir / "_metadata.json"; }
  [[nodiscard]] std::filesystem::path lock_file() const { return m_dir / "_lock"; }
  [[nodiscard]] std::filesystem::path record_file(int version) const {
    return m_dir / ("_v" + std::to_string(version) + ".rec");
  }

 private:
  std::filesystem::path m_dir;
};

// The version in a record file name ("_v12.rec" → 12), nullopt for any other name.
[[nodiscard]] std::optional<int> record_version_from_name(std::string_view file_name);
// The versions of the record files in `dir`, ascending; empty when there are none (or no dir).
[[nodiscard]] std::vector<int> record_versions_in(const std::filesystem::path& dir);
// True for the temporary files a crashed atomic write leaves in a path directory.
[[nodiscard]] bool is_store_temp_file(std::string_view file_name);

}  // namespace keyd::adapters::detail
