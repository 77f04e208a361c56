// keyd's log lines (issue 19): an RFC 3339 UTC timestamp on every line; --log-format json gives one
// JSON object per line with the structured fields of the LogScope in force on the logging thread.
#include "cli_support.hpp"
#include "keyd/cli/log_format.hpp"

#include "keyd/common/log_fields.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <sstream>
#include <thread>

namespace keyd::cli {
namespace {

// Log through a logger with keyd's formatter into a string.
class Captured {
 public:
  explicit Captured(LogFormat format)
      : m_logger(std::make_shared<spdlog::logger>("log-format-test",
                                                  std::make_shared<spdlog::sinks::ostream_sink_mt>(m_out))) {
    m_logger->set_formatter(make_log_formatter(format));
    m_logger->set_level(spdlog::level::trace);
  }
  spdlog::logger& log() { return *m_logger; }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(m_out.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::ostringstream m_out;
  std::shared_ptr<spdlog::logger> m_logger;
};

const std::regex k_rfc3339_millis_utc(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");

TEST(LogFormat, TextLinesStartWithAnRfc3339UtcTime) {
  Captured captured(LogFormat::text);
  captured.log().warn("swarm {}: something", "ipfs-overlay");
  const auto lines = captured.lines();
  ASSERT_EQ(lines.size(), 1U);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(lines[0], m, k_rfc3339_millis_utc)) << lines[0];
  EXPECT_EQ(m.position(0), 0) << lines[0];
  EXPECT_EQ(lines[0].substr(24), " keyd: [warning] swarm ipfs-overlay: something") << lines[0];
}

TEST(LogFormat, JsonLinesCarryTheFieldsOfTheScopesInForce) {
  Captured captured(LogFormat::json);
  captured.log().info("outside");
  {
    LogScope swarm({.swarm = "ipfs-overlay"});
    captured.log().info("in the swarm");
    {
      LogScope version({.version = 3, .fingerprint = "0123456789abcdef0123456789abcdef"});
      LogScope target({.target = "kubernetes ipfs-system/ipfs-swarm-key"});
      captured.log().warn("delivering");
    }
    captured.log().error("back in the swarm");
  }
  captured.log().info("outside again");
  const auto lines = captured.lines();
  ASSERT_EQ(lines.size(), 5U);
  std::vector<nlohmann::json> j;
  for (const auto& line : lines) j.push_back(nlohmann::json::parse(line));
  for (const auto& e : j) {
    EXPECT_TRUE(std::regex_match(e["time"].get<std::string>(), k_rfc3339_millis_utc)) << e;
  }
  EXPECT_EQ(j[0], (nlohmann::json{{"time", j[0]["time"]}, {"level", "info"}, {"msg", "outside"}}));
  EXPECT_EQ(j[1]["swarm"], "ipfs-overlay");
  EXPECT_FALSE(j[1].contains("version"));
  EXPECT_EQ(j[2]["level"], "warning");
  EXPECT_EQ(j[2]["swarm"], "ipfs-overlay");
  EXPECT_EQ(j[2]["version"], 3);
  EXPECT_EQ(j[2]["fingerprint"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(j[2]["target"], "kubernetes ipfs-system/ipfs-swarm-key");
  EXPECT_EQ(j[3]["level"], "error");
  EXPECT_EQ(j[3]["swarm"], "ipfs-overlay");
  EXPECT_FALSE(j[3].contains("version")) << "a scope's fields end with it";
  EXPECT_FALSE(j[3].contains("target"));
  EXPECT_FALSE(j[4].contains("swarm"));
}

TEST(LogFormat, FieldsBelongToTheirThread) {
  Captured captured(LogFormat::json);
  LogScope mine({.swarm = "mine"});
  std::thread([&] { captured.log().info("other thread"); }).join();
  captured.log().info("this thread");
  const auto lines = captured.lines();
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_FALSE(nlohmann::json::parse(lines[0]).contains("swarm"));
  EXPECT_EQ(nlohmann::json::parse(lines[1])["swarm"], "mine");
}

TEST(LogFormat, AJsonLineIsValidWhateverTheMessageHolds) {
  Captured captured(LogFormat::json);
  captured.log().warn("quote \" backslash \\ newline \n bytes \xff\xfe end");
  const auto lines = captured.lines();
  ASSERT_EQ(lines.size(), 1U) << "one line per message";
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_NE(j["msg"].get<std::string>().find("quote \" backslash \\ newline \n bytes"), std::string::npos);
}

}  // namespace
}  // namespace keyd::cli

namespace keyd::testing {
namespace {

// The whole command: `--log-format json` (and KEYD_LOG_FORMAT) make every stderr line a JSON
// object; the rotation's lines name the swarm, the version and the fingerprint it reported.
TEST_F(KeydCli, RotateLogsJsonLinesWithTheSwarmVersionAndFingerprint) {
  for (const bool by_env : {false, true}) {
    std::vector<std::string> args{"--log-level", "info"};
    if (!by_env) args.insert(args.end(), {"--log-format", "json"});
    args.insert(args.end(), {"rotate", "--config", "keyd.yaml", "--output", "json"});
    const auto r = keyd(args, by_env ? std::map<std::string, std::string>{{"KEYD_LOG_FORMAT", "json"}}
                                     : std::map<std::string, std::string>{});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto report = nlohmann::json::parse(r.out);
    std::istringstream in(r.err);
    int stored_lines = 0;
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
      ++lines;
      const auto j = nlohmann::json::parse(line);  // throws (fails the test) on a line that is not JSON
      EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
      if (j["msg"].get<std::string>().find("stored version") != std::string::npos) {
        ++stored_lines;
        EXPECT_EQ(j.value("swarm", ""), "ipfs-overlay") << line;
        EXPECT_EQ(j.value("version", 0), report["version"].get<int>()) << line;
        EXPECT_EQ(j.value("fingerprint", ""), report["fingerprint"].get<std::string>()) << line;
      }
    }
    EXPECT_GT(lines, 0) << "no log lines at info";
    EXPECT_EQ(stored_lines, 1) << r.err;
  }
}

}  // namespace
}  // namespace keyd::testing
