// Text from an MCP server, made fit for an error message: one line, bounded, with anything that
// could be key material or a credential (long hex or base64 runs, vault tokens) replaced.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keyd::adapters::mcp {

// Runs of 16+ hex digits or 20+ base64/base64url characters become "<redacted>"; control
// characters become spaces; longer than max_chars → cut with "…".
[[nodiscard]] std::string redact_for_message(std::string_view text, std::size_t max_chars = 200);

// The first non-empty line of text, with a leading "Error: " removed, redacted.
[[nodiscard]] std::string first_line_for_message(std::string_view text);

}  // namespace keyd::adapters::mcp
