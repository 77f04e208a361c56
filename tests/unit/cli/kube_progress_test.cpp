// The CLI's Progress implementations (keyd/cli/progress.hpp), shown rollout lines: a status line
// rewritten in place on a terminal, distinct lines logged otherwise, control characters escaped.
#include "keyd/cli/progress.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <sstream>
#include <string>

namespace keyd::cli {
namespace {

// What a TerminalProgress wrote into a pipe.
class Pipe {
 public:
  Pipe() { EXPECT_EQ(::pipe2(m_fds.data(), O_NONBLOCK), 0); }
  ~Pipe() {
    ::close(m_fds[0]);
    ::close(m_fds[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  [[nodiscard]] int write_end() const { return m_fds[1]; }
  std::string drain() {
    std::string out;
    std::array<char, 4096> buf{};
    for (ssize_t n; (n = ::read(m_fds[0], buf.data(), buf.size())) > 0;) out.append(buf.data(), static_cast<std::size_t>(n));
    return out;
  }

 private:
  std::array<int, 2> m_fds{-1, -1};
};

TEST(KubeProgress, TerminalRewritesOneLineAndEndsItOnDone) {
  Pipe pipe;
  TerminalProgress progress(pipe.write_end(), 80);
  progress.update("ipfs: 0/3 pods on the new key");
  progress.update("ipfs: 0/3 pods on the new key");  // unchanged: not written again
  progress.update("ipfs: 1/3 pods on the new key");
  progress.done();
  progress.done();  // nothing showing: nothing to end
  EXPECT_EQ(pipe.drain(),
            "\ripfs: 0/3 pods on the new key\x1b[K\ripfs: 1/3 pods on the new key\x1b[K\n");
}

TEST(KubeProgress, TerminalCutsLinesToTheWidthAndEscapesControlCharacters) {
  Pipe pipe;
  {
    TerminalProgress progress(pipe.write_end(), 12);
    progress.update("ab\x1b[2Jcd\r\tefghijkl");
  }  // the destructor ends the line
  EXPECT_EQ(pipe.drain(), "\rab\\x1b[2Jcd\x1b[K\n");
  // UTF-8 characters count once and are never split.
  Pipe utf8;
  TerminalProgress progress(utf8.write_end(), 4);
  progress.update("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
  progress.done();
  EXPECT_EQ(utf8.drain(), "\r\xc3\xa9\xc3\xa9\xc3\xa9\x1b[K\n");
}

TEST(KubeProgress, NotATerminalLogsEachDistinctLineOnceAtInfo) {
  std::ostringstream out;
  auto logger = std::make_shared<spdlog::logger>("progress-test", std::make_shared<spdlog::sinks::ostream_sink_st>(out));
  logger->set_pattern("[%l] %v");
  logger->set_level(spdlog::level::info);
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  LogProgress progress;
  progress.update("ipfs: 1/3 pods on the new key");
  progress.update("ipfs: 1/3 pods on the new key");
  progress.update("ipfs: 2/3 pods on\x07 the new key");
  progress.done();
  progress.update("ipfs: 2/3 pods on\x07 the new key");  // a new wait logs again
  spdlog::set_default_logger(previous);
  EXPECT_EQ(out.str(),
            "[info] ipfs: 1/3 pods on the new key\n"
            "[info] ipfs: 2/3 pods on\\x07 the new key\n"
            "[info] ipfs: 2/3 pods on\\x07 the new key\n");
}

TEST(KubeProgress, PrintableLineKeepsTextAndEscapesTheRest) {
  EXPECT_EQ(printable_line("plain text: 3/3 ✓"), "plain text: 3/3 ✓");
  EXPECT_EQ(printable_line("a\tb\nc\x7f"), "a b\\x0ac\\x7f");
  EXPECT_EQ(printable_line(""), "");
}

}  // namespace
}  // namespace keyd::cli
