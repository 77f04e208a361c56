// The names of keyd's temporary files, "<target file name>.tmp-<pid>-<12 hex digits>", in both
// directions: making one for a write, and recognising one that an earlier keyd process left behind.
#pragma once

#include "keyd/common/result.hpp"

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string_view>

namespace keyd::adapters::detail {

// A fresh temporary name beside `target` (same directory) for this process.
[[nodiscard]] Result<std::filesystem::path> temp_path_for(const std::filesystem::path& target);

// The writer's pid when `file_name` is exactly a name temp_path_for() makes for a target called
// `target_name`; nullopt for every other name.
[[nodiscard]] std::optional<pid_t> temp_name_writer(std::string_view file_name, std::string_view target_name);

}  // namespace keyd::adapters::detail
