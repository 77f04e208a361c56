// Reading and parsing the YAML files keyd takes from users (the config, bundle values), with the
// same limits and messages for both: at most 1 MiB, UTF-8 only, nesting bounded — all checked
// before anything else looks at the content (private to keyd/config).
#pragma once

#include "keyd/common/result.hpp"
#include "schema.hpp"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace keyd::config::yaml_text {

// A keyd config or values file is a few KiB; anything this large is a mistake (or an attack).
inline constexpr std::size_t k_max_bytes = 1024 * 1024;

// The file's text. invalid_config naming `what` ("config file", "values file") and the path when it
// is missing, unreadable, or larger than k_max_bytes (read no further than that: /dev/zero is refused).
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path, std::string_view what);

// Every YAML document in `text`; false (with the problem in `problems`, at its line and column)
// when the text is too large, not UTF-8, nested too deeply, or not YAML.
[[nodiscard]] bool load_documents(std::string_view text, schema::Problems& problems,
                                  std::vector<YAML::Node>& documents);

}  // namespace keyd::config::yaml_text
