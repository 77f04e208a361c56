// Text keyd did not write (a server's error, a caller's request path, an MCP server's output),
// made fit for an error message or a log line: one line, bounded, with anything that could be key
// material or a credential (long hex or base64 runs, tokens) replaced. Every adapter that quotes a
// peer's words goes through it: key material never appears in an error or a log, even when a peer
// echoes it (docs/fuzzing.md, findings 8 and 10).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace keyd {

// Runs of 16+ hex digits, 20+ mixed-case base64/base64url characters with digits, or one unbroken
// word of 32+ characters become "<redacted>"; control characters become spaces; longer than
// max_chars → cut with "…".
[[nodiscard]] std::string redact_for_message(std::string_view text, std::size_t max_chars = 200);

// An HTTP request's method as the caller sent it, for an answer or a log line: redacted like any
// text from outside (fuzz finding 16) and at most 40 characters (real methods are short words).
[[nodiscard]] inline std::string redact_method(std::string_view method) { return redact_for_message(method, 40); }

}  // namespace keyd
