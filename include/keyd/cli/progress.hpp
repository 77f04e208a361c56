// Progress (ports/progress.hpp) for a person watching keyd: on a terminal one status line on
// stderr, rewritten in place; otherwise each distinct line logged once at info level. The lines
// come from targets ("ipfs: 2/3 pods on the new key") and never carry key material; control
// characters in them are escaped so a line cannot move the cursor or inject terminal sequences.
#pragma once

#include "keyd/ports/progress.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace keyd::cli {

// "\r<line>\x1b[K" per new line (cut to the terminal's width), "\n" on done() when a line is showing.
class TerminalProgress final : public ports::Progress {
 public:
  // `columns` 0: ask the terminal behind `fd` (TIOCGWINSZ), else no limit.
  explicit TerminalProgress(int fd, std::size_t columns = 0);
  ~TerminalProgress() override;
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  void update(std::string_view line) override;
  void done() override;

 private:
  int m_fd;
  std::size_t m_columns;
  std::string m_shown;  // the line on screen; empty when none
};

// spdlog info "<line>" for each line that differs from the previous one (since the last done()).
class LogProgress final : public ports::Progress {
 public:
  void update(std::string_view line) override;
  void done() override { m_last.clear(); }

 private:
  std::string m_last;
};

// TerminalProgress on stderr when stderr is a terminal, else LogProgress.
[[nodiscard]] std::unique_ptr<ports::Progress> make_progress();

// `line` with control characters (and DEL) written as \xNN, tabs as spaces.
[[nodiscard]] std::string printable_line(std::string_view line);

}  // namespace keyd::cli
