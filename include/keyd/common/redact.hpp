// Text keyd did not write (a server's error message, an MCP tool's output, a plugin's answer), made
// fit for an error message or a log line: one line, bounded, with anything that could be key material
// or a credential replaced. A server may echo what keyd sent it, a Secret's data included (fuzz
// findings 8, docs/fuzzing.md), so every quote of server text goes through redact_for_message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keyd {

// Runs of 16+ hex digits, 20+ base64/base64url characters mixing upper case, lower case and digits,
// or an unbroken word of 32+ characters become "<redacted>"; control characters become spaces;
// longer than max_chars → cut with "…". Paths, names, UIDs and resourceVersions stay readable.
[[nodiscard]] std::string redact_for_message(std::string_view text, std::size_t max_chars = 200);

}  // namespace keyd
