// Reading and writing key files from the command line: "-" means stdin/stdout.
#pragma once

#include "keyd/common/result.hpp"
#include "keyd/common/secret.hpp"

#include <string>

namespace keyd::cli {

// The bytes of PATH, or of stdin for "-".
[[nodiscard]] Result<Secret> read_key_input(const std::string& path);

// Write key text to PATH atomically with mode 0600, or to stdout for "-". Without `force`, an
// existing file is only replaced when `replace_keys` is set and it already holds a swarm key
// (so a mistyped path never destroys an unrelated file).
[[nodiscard]] Status write_key_output(const std::string& path, const Secret& key_text, bool force, bool replace_keys);

}  // namespace keyd::cli
