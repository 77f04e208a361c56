// keyd daemon's configuration: server.max_connections (issue 15 item 3).
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::config {
namespace {

TEST(DaemonConfigLimits, MaxConnectionsDefaultsTo512AndIsBounded) {
  auto defaults = parse_config("swarms: [{name: a}]\n", "d.yaml");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->server.max_connections, 512);
  auto set = parse_config("server: {max_connections: 2000}\nswarms: [{name: a}]\n", "d.yaml");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->server.max_connections, 2000);
  for (const char* bad : {"0", "7", "65537", "many"}) {
    auto refused = parse_config(std::string("server: {max_connections: ") + bad + "}\nswarms: [{name: a}]\n", "d.yaml");
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message.find("server.max_connections"), std::string::npos) << refused.error().message;
  }
}

}  // namespace
}  // namespace keyd::config
