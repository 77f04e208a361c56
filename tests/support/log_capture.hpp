// LogCapture: routes spdlog's default logger to a string while alive (for leak and message checks),
// then restores the previous default logger.
#pragma once

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>

namespace keyd::testing {

class LogCapture {
 public:
  // Captures every line at `level` and up (default: everything).
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::trace) : m_previous(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(m_out));
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(m_previous); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const { return m_out.str(); }

 private:
  std::shared_ptr<spdlog::logger> m_previous;
  std::ostringstream m_out;
};

}  // namespace keyd::testing
