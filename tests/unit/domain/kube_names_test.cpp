// Kubernetes name rules (the API server's), the one home the config and the kubernetes adapter share.
#include "keyd/domain/kube_names.hpp"

#include <gtest/gtest.h>

#include <string>

namespace keyd::domain {
namespace {

struct Case {
  std::string name;
  bool label;
  bool subdomain;
  const char* why;
};

TEST(KubeNames, LabelsAndSubdomains) {
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  const std::string sub253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  for (const Case& c : {
           Case{"ipfs", true, true, "plain"},
           Case{"ipfs-swarm-key", true, true, "dashes inside"},
           Case{"0x", true, true, "digits may start"},
           Case{"a.b-c", false, true, "dots only in subdomains"},
           Case{"", false, false, "empty"},
           Case{"Ipfs", false, false, "upper case"},
           Case{"-a", false, false, "leading dash"},
           Case{"a-", false, false, "trailing dash"},
           Case{"a_b", false, false, "underscore"},
           Case{"a b", false, false, "space"},
           Case{"a/b", false, false, "slash"},
           Case{"a..b", false, false, "empty part"},
           Case{"a.-b", false, false, "part starting with a dash"},
           Case{".a", false, false, "leading dot"},
           Case{"a.", false, false, "trailing dot"},
           Case{label63, true, true, "63 characters"},
           Case{label64, false, true, "64 characters: too long for a label, no limit on a subdomain's parts"},
           Case{sub253, false, true, "253 characters in parts of at most 63"},
           Case{sub253 + "b", false, false, "254 characters"},
       }) {
    EXPECT_EQ(is_dns_label(c.name), c.label) << c.why << ": " << c.name;
    EXPECT_EQ(is_dns_subdomain(c.name), c.subdomain) << c.why << ": " << c.name;
  }
}

TEST(KubeNames, SecretDataKeys) {
  for (const char* ok : {"swarm.key", "SWARM_KEY", "a-b", ".hidden", "..."}) {
    EXPECT_TRUE(is_secret_data_key(ok)) << ok;
  }
  for (const char* bad : {"", ".", "..", "a/b", "a b", "ключ"}) EXPECT_FALSE(is_secret_data_key(bad)) << bad;
  EXPECT_TRUE(is_secret_data_key(std::string(253, 'k')));
  EXPECT_FALSE(is_secret_data_key(std::string(254, 'k')));
}

}  // namespace
}  // namespace keyd::domain
