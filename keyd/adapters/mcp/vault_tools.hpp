// poly-secret-mcp's Vault tools as pure values: CLI paths, tool arguments, and what a tool's text
// means (its JSON is the vault CLI's -format=json output, the HTTP API's envelope; errors are
// "Error: <vault CLI stderr>"). No I/O here, so every rule is table-tested.
#pragma once

#include "../os/wiping_allocator.hpp"
#include "keyd/ports/secret_store.hpp"

#include <string>
#include <string_view>

namespace keyd::adapters::mcp {

using detail::SecretJson;

// "<mount>/<path>": a vault kv CLI path (the CLI inserts data/ or metadata/ itself).
[[nodiscard]] std::string cli_path(std::string_view mount, std::string_view path);

// {"path": cli_path}.
[[nodiscard]] SecretJson path_arguments(std::string_view cli_path);

// vault_write's arguments: {"path", "data": ["swarm.key=<text>", "fingerprint=…", "issued_by=…",
// "reason=…"]}. invalid_input when a value would be read by the vault CLI as a file ("@…") or as
// stdin ("-"), or when the key text is empty.
[[nodiscard]] Result<SecretJson> write_arguments(std::string_view cli_path, const ports::VersionData& data);

// What an isError answer (or an answer that is not the expected JSON) means. "No value found at" →
// not_found; "permission denied" / "Code: 403" → unauthorized; "path parameter is required" → the
// known upstream defect; anything else → unavailable. The message names the tool and the CLI path (the caller adds the
// server), with the first line of the server's text, redacted.
[[nodiscard]] Error tool_failure(std::string_view tool, std::string_view cli_path, const Secret& text);

// The tool's text as the vault CLI's JSON object; unavailable naming the tool when it is not.
[[nodiscard]] Result<SecretJson> parse_tool_json(std::string_view tool, std::string_view cli_path, const Secret& text);

// vault_read's JSON → the current version. A deleted or destroyed latest version is not_found.
[[nodiscard]] Result<ports::StoredVersion> parse_read_output(const SecretJson& doc, std::string_view what);

}  // namespace keyd::adapters::mcp
