// swarms[].operators: who may POST rotate and sync through the daemon's API (default nobody), in
// the same forms as key_readers (token:<name>, k8s:<user>) and checked by the same parser; the two
// lists are independent.
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::config {
namespace {

TEST(OperatorsConfig, DefaultIsNobodyAndTheListIsSeparateFromKeyReaders) {
  auto c = parse_config(R"(swarms:
  - name: a
  - name: b
    key_readers: ["token:agent"]
    operators: ["token:ci", "k8s:system:serviceaccount:ops:ci", "token:ci"]
)",
                        "d.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->swarms[0].operators.empty());
  EXPECT_EQ(c->swarms[1].operators, (std::vector<std::string>{"token:ci", "k8s:system:serviceaccount:ops:ci"}));
  EXPECT_EQ(c->swarms[1].key_readers, std::vector<std::string>{"token:agent"});
}

TEST(OperatorsConfig, BadEntriesAreReportedWithTheirPosition) {
  auto c = parse_config(R"(swarms:
  - name: a
    operators:
      - ci
      - "k8s:system:serviceaccount:ops:x pod=ci-0"
  - name: b
    operators: "token:ci"
)",
                        "d.yaml");
  ASSERT_FALSE(c);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("d.yaml:4:9: swarms[0].operators[0]: 'ci' is not a caller: expected token:<name"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("swarms[0].operators[1]: 'k8s:system:serviceaccount:ops:x pod=ci-0' is not a caller"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("swarms[1].operators: expected a list of caller names"), std::string::npos) << m;
}

}  // namespace
}  // namespace keyd::config
