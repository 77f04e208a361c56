// keyd daemon's configuration: sync_interval, concurrency, server, leader_election, swarms[].rotation.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::config {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// The window as written (parsed once by the config); "" when unset.
std::string window_text(const RotationConfig& rotation) { return rotation.window ? rotation.window->text() : ""; }

Config parse_ok(const std::string& yaml) {
  auto config = parse_config(yaml, "d.yaml");
  EXPECT_TRUE(config.has_value()) << (config ? "" : config.error().message);
  return config ? *config : Config{};
}

std::string parse_error(const std::string& yaml) {
  auto config = parse_config(yaml, "d.yaml");
  EXPECT_FALSE(config.has_value()) << yaml;
  return config ? std::string() : config.error().message;
}

TEST(DaemonConfig, DefaultsWhenNothingIsSaid) {
  const Config c = parse_ok("swarms: [{name: a}]\n");
  EXPECT_EQ(c.sync_interval, 30s);
  EXPECT_EQ(c.concurrency, 8);
  EXPECT_EQ(c.server.listen, "127.0.0.1:8750");
  EXPECT_EQ(c.server.auth.tokens_file, "");
  EXPECT_FALSE(c.server.auth.tokenreview.enabled);
  EXPECT_FALSE(c.server.tls.has_value());
  EXPECT_EQ(c.server.max_body_bytes, 64 * 1024);
  EXPECT_EQ(c.server.threads, 4);
  EXPECT_EQ(c.server.timeout, 10s);
  EXPECT_EQ(c.leader_election.lease_name, "keyd");
  EXPECT_EQ(c.leader_election.lease_namespace, "");
  EXPECT_EQ(c.leader_election.lease_duration, 15s);
  EXPECT_EQ(c.leader_election.renew_deadline, 10s);
  EXPECT_EQ(c.leader_election.retry_period, 2s);
  EXPECT_EQ(c.leader_election.lock_file, ".keyd/daemon.lock");
  EXPECT_FALSE(c.leader_election.lock_file_set);
  EXPECT_TRUE(parse_ok("leader_election: {lock_file: x.lock}\nswarms: [{name: a}]\n").leader_election.lock_file_set);
  ASSERT_EQ(c.swarms.size(), 1U);
  EXPECT_FALSE(c.swarms[0].rotation.has_value());
}

TEST(DaemonConfig, ConcurrencyIsOneToThirtyTwo) {
  EXPECT_EQ(parse_ok("concurrency: 1\nswarms: [{name: a}]\n").concurrency, 1);
  EXPECT_EQ(parse_ok("concurrency: 32\nswarms: [{name: a}]\n").concurrency, 32);
  for (const char* bad : {"0", "33", "-1", "eight", "2.5"}) {
    const std::string error = parse_error(std::string("concurrency: ") + bad + "\nswarms: [{name: a}]\n");
    EXPECT_NE(error.find("d.yaml:1:14: concurrency"), std::string::npos) << bad << ": " << error;
  }
}

TEST(DaemonConfig, EveryKeyIsRead) {
  const Config c = parse_ok(R"(sync_interval: 1m30s
server:
  listen: "[::1]:0"
  auth:
    tokens_file: /etc/keyd/tokens
    tokenreview: {enabled: true, audiences: [keyd, other]}
  tls: {cert_file: /etc/keyd/tls.crt, key_file: /etc/keyd/tls.key}
  max_body_bytes: 1024
  threads: 2
  timeout: 5s
leader_election:
  lease_name: keyd-leader
  lease_namespace: ipfs-system
  lease_duration: 30s
  renew_deadline: 20s
  retry_period: 4s
  lock_file: /run/keyd/lock
swarms:
  - name: a
    rotation: {max_age: 720h, window: "Mon-Fri 02:00-04:00"}
  - name: b
    rotation: {max_age: 1h}
)");
  EXPECT_EQ(c.sync_interval, 90s);
  EXPECT_EQ(c.server.listen, "[::1]:0");
  EXPECT_EQ(c.server.auth.tokens_file, "/etc/keyd/tokens");
  EXPECT_TRUE(c.server.auth.tokenreview.enabled);
  EXPECT_EQ(c.server.auth.tokenreview.audiences, (std::vector<std::string>{"keyd", "other"}));
  ASSERT_TRUE(c.server.tls.has_value());
  EXPECT_EQ(c.server.tls->cert_file, "/etc/keyd/tls.crt");
  EXPECT_EQ(c.server.tls->key_file, "/etc/keyd/tls.key");
  EXPECT_EQ(c.server.max_body_bytes, 1024);
  EXPECT_EQ(c.server.threads, 2);
  EXPECT_EQ(c.server.timeout, 5s);
  EXPECT_EQ(c.leader_election.lease_name, "keyd-leader");
  EXPECT_EQ(c.leader_election.lease_namespace, "ipfs-system");
  EXPECT_EQ(c.leader_election.lease_duration, 30s);
  EXPECT_EQ(c.leader_election.renew_deadline, 20s);
  EXPECT_EQ(c.leader_election.retry_period, 4s);
  EXPECT_EQ(c.leader_election.lock_file, "/run/keyd/lock");
  ASSERT_EQ(c.swarms.size(), 2U);
  ASSERT_TRUE(c.swarms[0].rotation.has_value());
  EXPECT_EQ(c.swarms[0].rotation->max_age, milliseconds{720h});
  EXPECT_EQ(window_text(*c.swarms[0].rotation), "Mon-Fri 02:00-04:00");
  ASSERT_TRUE(c.swarms[1].rotation.has_value());
  EXPECT_EQ(c.swarms[1].rotation->max_age, milliseconds{1h});
  EXPECT_EQ(window_text(*c.swarms[1].rotation), "");
}

TEST(DaemonConfig, ErrorsNameThePlaceAndTheRule) {
  struct Case {
    const char* yaml;
    const char* want;
  };
  for (const Case& c : {
           Case{"sync_interval: 10\nswarms: [{name: a}]\n", "d.yaml:1:16: sync_interval:"},
           Case{"sync_interval: 500ms\nswarms: [{name: a}]\n",
                "d.yaml:1:16: sync_interval: must be between 1s and 24h"},
           Case{"server: {listen: localhost}\nswarms: [{name: a}]\n", "d.yaml:1:18: server.listen: expected host:port"},
           Case{"server: {listen: '1.2.3.4:70000'}\nswarms: [{name: a}]\n", "server.listen: expected host:port"},
           Case{"server: {listen: '::1:80'}\nswarms: [{name: a}]\n", "server.listen: expected host:port"},
           Case{"server: {bogus: 1}\nswarms: [{name: a}]\n", "d.yaml:1:10: unknown key 'bogus' in server"},
           Case{"server: {tls: {cert_file: a}}\nswarms: [{name: a}]\n", "server.tls.key_file: required"},
           Case{"server: {auth: {tokenreview: {audiences: []}}}\nswarms: [{name: a}]\n",
                "server.auth.tokenreview.audiences: expected a non-empty list"},
           Case{"server: {auth: {tokenreview: {audiences: ['']}}}\nswarms: [{name: a}]\n",
                "server.auth.tokenreview.audiences[0]: must not be empty"},
           Case{"server: {threads: 0}\nswarms: [{name: a}]\n", "server.threads: must be between 1 and 64"},
           Case{"leader_election: {lease_duration: 10s}\nswarms: [{name: a}]\n",
                "lease_duration (10s) must be longer than renew_deadline (10s)"},
           Case{"leader_election: {renew_deadline: 2s}\nswarms: [{name: a}]\n",
                "renew_deadline (2s) must be longer than 1.2 × retry_period (2s)"},
           Case{"leader_election: {lease_name: Keyd}\nswarms: [{name: a}]\n", "invalid lease name 'Keyd'"},
           Case{"swarms: [{name: a, rotation: {window: '02:00-04:00'}}]\n", "swarms[0].rotation.max_age: required"},
           Case{"swarms: [{name: a, rotation: {max_age: 30m}}]\n",
                "d.yaml:1:40: swarms[0].rotation.max_age: must be between 1h and"},
           Case{"swarms: [{name: a, rotation: {max_age: 720h, window: 'Mon 2:00-4:00'}}]\n",
                "d.yaml:1:54: swarms[0].rotation.window: rotation window entry 'Mon 2:00-4:00': expected a UTC time "
                "range"},
           Case{"swarms: [{name: a, rotation: {max_age: 720h, window: 'Sundays 02:00-04:00'}}]\n", "expected days"},
       }) {
    const std::string error = parse_error(c.yaml);
    EXPECT_NE(error.find(c.want), std::string::npos) << "want: " << c.want << "\ngot:  " << error;
  }
}

}  // namespace
}  // namespace keyd::config
