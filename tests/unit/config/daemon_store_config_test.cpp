// store.daemon: the values parsed, the defaults, and each error with its exact position.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::config {
namespace {

std::string with_daemon(const std::string& daemon_lines) {
  return "store:\n  backend: daemon\n  daemon:\n" + daemon_lines + "swarms: [{name: a}]\n";
}

TEST(DaemonStoreConfig, ParsesEveryKey) {
  const auto cfg = parse_config(with_daemon("    url: https://keyd.keyd-system.svc:8750\n"
                                            "    token_file: /var/run/secrets/tokens/keyd\n"
                                            "    ca_file: /etc/keyd/ca.crt\n"
                                            "    timeout: 2s\n"
                                            "    max_attempts: 5\n"),
                                "t.yaml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  const DaemonStoreConfig& d = cfg->store.daemon;
  EXPECT_EQ(to_string(cfg->store.backend), "daemon");
  EXPECT_EQ(d.url, "https://keyd.keyd-system.svc:8750");
  EXPECT_EQ(d.token_file, "/var/run/secrets/tokens/keyd");
  EXPECT_EQ(d.ca_file, "/etc/keyd/ca.crt");
  EXPECT_EQ(d.timeout, std::chrono::seconds(2));
  EXPECT_EQ(d.max_attempts, 5);
}

TEST(DaemonStoreConfig, DefaultsAndLoopbackHttp) {
  for (const std::string url : {"http://127.0.0.1:8750", "http://localhost:8750/", "http://[::1]:8750"}) {
    const auto cfg = parse_config(with_daemon("    url: \"" + url + "\"\n    token_file: /t\n"), "t.yaml");
    ASSERT_TRUE(cfg) << url << ": " << cfg.error().message;
    EXPECT_EQ(cfg->store.daemon.url, url);
    EXPECT_EQ(cfg->store.daemon.timeout, std::chrono::seconds(10));
    EXPECT_EQ(cfg->store.daemon.max_attempts, 3);
    EXPECT_TRUE(cfg->store.daemon.ca_file.empty());
  }
}

struct ErrorCase {
  std::string reason;
  std::string daemon_lines;  // they start at line 4
  std::string expected;
};

TEST(DaemonStoreConfig, ErrorsNameTheKeyAndPosition) {
  const std::vector<ErrorCase> cases{
      {"plain http to a remote host", "    url: http://keyd.example:8750\n    token_file: /t\n",
       "t.yaml:4:10: store.daemon.url: 'http://keyd.example:8750' uses plain http to a non-loopback host"},
      {"http to a host that only starts like loopback", "    url: http://127.0.0.1.example.com\n    token_file: /t\n",
       "t.yaml:4:10: store.daemon.url: 'http://127.0.0.1.example.com' uses plain http"},
      {"not a URL", "    url: keyd:8750\n    token_file: /t\n",
       "t.yaml:4:10: store.daemon.url: expected an https:// URL"},
      {"url missing", "    token_file: /t\n", "t.yaml:2:12: store.daemon.url: required with backend daemon"},
      {"token_file missing", "    url: https://keyd:8750\n",
       "t.yaml:2:12: store.daemon.token_file: required with backend daemon"},
      {"max_attempts out of range", "    url: https://keyd:8750\n    token_file: /t\n    max_attempts: 0\n",
       "t.yaml:6:19: store.daemon.max_attempts:"},
      {"unknown key", "    url: https://keyd:8750\n    token_file: /t\n    token: abc\n",
       "t.yaml:6:5: unknown key 'token' in store.daemon"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reason);
    const auto cfg = parse_config(with_daemon(c.daemon_lines), "t.yaml");
    ASSERT_FALSE(cfg);
    EXPECT_NE(cfg.error().message.find(c.expected), std::string::npos) << cfg.error().message;
  }
}

TEST(DaemonStoreConfig, NoSectionWithTheDaemonBackendNamesBothKeys) {
  const auto cfg = parse_config("store:\n  backend: daemon\nswarms: [{name: a}]\n", "t.yaml");
  ASSERT_FALSE(cfg);
  EXPECT_NE(cfg.error().message.find("store.daemon.url: required"), std::string::npos) << cfg.error().message;
  EXPECT_NE(cfg.error().message.find("store.daemon.token_file: required"), std::string::npos) << cfg.error().message;
}

}  // namespace
}  // namespace keyd::config
