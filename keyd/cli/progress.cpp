#include "keyd/cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>

namespace keyd::cli {
namespace {

constexpr char k_delete = 0x7f;

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed terminal: progress is best effort
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t terminal_columns(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;
}

// At most `columns - 1` characters (the last column would wrap on some terminals), cut on a UTF-8
// character boundary.
std::string fit(std::string line, std::size_t columns) {
  if (columns < 2) return line;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto byte = static_cast<unsigned char>(line[i]);
    if ((byte & 0xC0U) == 0x80U) continue;  // a continuation byte
    if (++chars == columns) {
      line.resize(i);
      break;
    }
  }
  return line;
}

}  // namespace

std::string printable_line(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (const char c : line) {
    if (c == '\t') {
      out += ' ';
    } else if ((c >= 0 && c < 0x20) || c == k_delete) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

TerminalProgress::TerminalProgress(int fd, std::size_t columns)
    : m_fd(fd), m_columns(columns != 0 ? columns : terminal_columns(fd)) {}

TerminalProgress::~TerminalProgress() { done(); }

void TerminalProgress::update(std::string_view line) {
  std::string shown = fit(printable_line(line), m_columns);
  if (shown.empty() || shown == m_shown) return;
  write_all(m_fd, "\r" + shown + "\x1b[K");
  m_shown = std::move(shown);
}

void TerminalProgress::done() {
  if (m_shown.empty()) return;
  write_all(m_fd, "\n");
  m_shown.clear();
}

void LogProgress::update(std::string_view line) {
  std::string text = printable_line(line);
  if (text.empty() || text == m_last) return;
  spdlog::info("{}", text);
  m_last = std::move(text);
}

std::unique_ptr<ports::Progress> make_progress() {
  if (::isatty(STDERR_FILENO) == 1) return std::make_unique<TerminalProgress>(STDERR_FILENO);
  return std::make_unique<LogProgress>();
}

}  // namespace keyd::cli
