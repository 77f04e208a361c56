// How keyd's log lines look on stderr (issue 19): one line each, led by an RFC 3339 UTC timestamp
// with milliseconds. `--log-format text` (default): "2026-12-05T00:04:17.123Z keyd: [info] message".
// `--log-format json` (or KEYD_LOG_FORMAT=json), for a cluster's log pipeline: one JSON object per
// line, {"time", "level", "msg"} plus the structured fields in force ("swarm", "version",
// "fingerprint", "target"; include/keyd/common/log_fields.hpp). Messages never hold key material.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>

namespace keyd::cli {

enum class LogFormat { text, json };

[[nodiscard]] std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

// keyd's logger on stderr at `level` (trace … off) in `format`, as the default logger.
void setup_logging(const std::string& level, LogFormat format);

}  // namespace keyd::cli
