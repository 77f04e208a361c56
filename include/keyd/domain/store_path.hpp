// Which store paths keyd accepts, for every backend: the file store maps them onto directories,
// Vault and poly-secret-mcp onto KV paths, so one rule keeps a configuration portable between them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keyd::domain {

// Empty when `path` is an acceptable store path, else why not (without the path itself):
// empty, absolute, '.' or '..' or empty components, backslashes, control characters, bytes that
// are not UTF-8, components starting with '_' (the file store's own files) or longer than 200 bytes.
[[nodiscard]] std::string store_path_problem(std::string_view path);

// The offset of the first byte that is not part of a valid UTF-8 sequence (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or std::string_view::npos when `text` is valid.
[[nodiscard]] std::size_t first_invalid_utf8(std::string_view text);

}  // namespace keyd::domain
