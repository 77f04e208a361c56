// keyd's log line formats; see log_format.hpp.
#include "keyd/cli/log_format.hpp"

#include "keyd/common/log_fields.hpp"
#include "keyd/common/rfc3339.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string_view>

namespace keyd::cli {

namespace {

// {"time","level","msg"} and the fields in force on the logging thread (spdlog's stderr logger
// formats on the caller's thread, so the thread-local fields are the caller's).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    nlohmann::ordered_json line{{"time", format_rfc3339(msg.time, 3)},
                                {"level", std::string_view(spdlog::level::to_string_view(msg.level).data(),
                                                           spdlog::level::to_string_view(msg.level).size())},
                                {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    const LogFields& fields = current_log_fields();
    if (!fields.swarm.empty()) line["swarm"] = fields.swarm;
    if (fields.version) line["version"] = *fields.version;
    if (!fields.fingerprint.empty()) line["fingerprint"] = fields.fingerprint;
    if (!fields.target.empty()) line["target"] = fields.target;
    // Text that is not UTF-8 (a peer's bytes in a message) prints as U+FFFD: a log line never throws.
    const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
    dest.append(text.data(), text.data() + text.size());
  }
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  if (format == LogFormat::json) return std::make_unique<JsonFormatter>();
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ keyd: [%l] %v",
                                                     spdlog::pattern_time_type::utc);
}

void setup_logging(const std::string& level, LogFormat format) {
  auto logger = spdlog::stderr_logger_mt("keyd");
  logger->set_formatter(make_log_formatter(format));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace keyd::cli
