// Text from an MCP server, made fit for an error message: one line, bounded, with anything that
// could be key material or a credential (long hex or base64 runs, vault tokens) replaced.
#pragma once

#include "keyd/common/redact.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace keyd::adapters::mcp {

// keyd::redact_for_message (keyd/common/redact.hpp), shared with the Kubernetes and Vault adapters.
using keyd::redact_for_message;

// The first non-empty line of text, with a leading "Error: " removed, redacted.
[[nodiscard]] std::string first_line_for_message(std::string_view text);

}  // namespace keyd::adapters::mcp
