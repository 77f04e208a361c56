// swarms[].key_readers: who may GET the key from the daemon's API (default nobody), each entry a
// caller name as the daemon spells it — token:<name> or k8s:<user> — anything else reported with
// its position.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::config {
namespace {

TEST(KeyReadersConfig, DefaultIsNobodyAndAnEmptyListIsAllowed) {
  auto c = parse_config("swarms:\n  - name: a\n  - name: b\n    key_readers: []\n", "d.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->swarms[0].key_readers.empty());
  EXPECT_TRUE(c->swarms[1].key_readers.empty());
}

TEST(KeyReadersConfig, TokenAndKubernetesCallersAreKeptInOrderWithoutDuplicates) {
  auto c = parse_config(R"(swarms:
  - name: ipfs-overlay
    key_readers: ["k8s:system:serviceaccount:ipfs:ipfs-overlay", "token:ci", "token:ci bot", "token:ci"]
)",
                        "d.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->swarms[0].key_readers,
            (std::vector<std::string>{"k8s:system:serviceaccount:ipfs:ipfs-overlay", "token:ci", "token:ci bot"}));
}

TEST(KeyReadersConfig, EveryBadEntryIsReportedWithItsPosition) {
  auto c = parse_config(R"(swarms:
  - name: a
    key_readers:
      - ci
      - "token:"
      - "k8s:system:serviceaccount:ipfs:x pod=ipfs-0"
      - "k8s:system:serviceaccount:ipfs:ok"
      - [nested]
  - name: b
    key_readers: "token:ci"
)",
                        "d.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("d.yaml:4:9: swarms[0].key_readers[0]: 'ci' is not a caller: expected token:<name"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("d.yaml:5:9: swarms[0].key_readers[1]: 'token:' is not a caller"), std::string::npos) << m;
  EXPECT_NE(m.find("swarms[0].key_readers[2]: 'k8s:system:serviceaccount:ipfs:x pod=ipfs-0' is not a caller"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("key_readers[3]"), std::string::npos) << m;
  EXPECT_NE(m.find("swarms[0].key_readers[4]"), std::string::npos) << m;
  EXPECT_NE(m.find("swarms[1].key_readers: expected a list of caller names"), std::string::npos) << m;
}

}  // namespace
}  // namespace keyd::config
