// The config and the kubernetes adapter give the same answer on the same Kubernetes names: both use
// keyd/domain/kube_names.hpp (they used to disagree on "a..b" and on namespaces with dots).
#include "keyd/config/config.hpp"
#include "kube/kube_names.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace keyd::adapters::kube {
namespace {

struct Field {
  const char* name;
  std::string yaml;  // the target's fields with X where the value goes
  std::function<Status(const std::string&)> adapter;
};

bool config_accepts(const Field& field, const std::string& value) {
  std::string fields = field.yaml;
  fields.replace(fields.find('X'), 1, "'" + value + "'");
  const std::string text = "swarms:\n  - name: a\n    targets:\n      - {type: kubernetes, " + fields + "}\n";
  return config::parse_config(text, "t.yaml").has_value();
}

TEST(KubeNamesAgree, ConfigAndAdapterGiveTheSameAnswer) {
  const std::vector<Field> fields{
      {"namespace", "namespace: X, secret: s", [](const std::string& v) { return check_namespace_name(v); }},
      {"secret", "secret: X", [](const std::string& v) { return check_object_name("secret", v); }},
      {"workload", "restart: [{kind: StatefulSet, name: X}]",
       [](const std::string& v) { return check_object_name("StatefulSet", v); }},
      {"key", "secret: s, key: X", [](const std::string& v) { return check_data_key(v); }},
  };
  const std::vector<std::string> values{"ipfs",
                                        "ipfs-swarm-key",
                                        "0x",
                                        "a.b-c",
                                        "a..b",
                                        "a.-b",
                                        "a-.b",
                                        ".a",
                                        "a.",
                                        "Ipfs",
                                        "-a",
                                        "a-",
                                        "a_b",
                                        "swarm.key",
                                        "SWARM_KEY",
                                        ".",
                                        "..",
                                        std::string(63, 'n'),
                                        std::string(64, 'n'),
                                        std::string(253, 'n')};
  for (const Field& field : fields) {
    for (const std::string& value : values) {
      const bool adapter = field.adapter(value).has_value();
      EXPECT_EQ(config_accepts(field, value), adapter)
          << field.name << " '" << value << "': the adapter says " << (adapter ? "valid" : "invalid");
    }
  }
}

}  // namespace
}  // namespace keyd::adapters::kube
