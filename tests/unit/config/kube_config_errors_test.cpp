// Kubernetes target and kubernetes section errors: each with its exact "<source>:<line>:<column>: <message>".
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::config {
namespace {

struct ErrorCase {
  std::string reason;
  std::string target_lines;  // swarms[0].targets' items; they start at line 4
  std::string expected;
};

std::string with_targets(const std::string& target_lines) {
  return "swarms:\n  - name: a\n    targets:\n" + target_lines;
}

const std::string k_t0 = "t.yaml:4:9: swarms[0].targets[0]";
const std::string k_subdomain_rule =
    " (lowercase letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit, at "
    "most 253 characters)";
const std::string k_label_rule =
    " (lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";
const std::string k_key_rule = " (letters, digits, '-', '_' and '.', not '.' or '..', at most 253 characters)";

const std::vector<ErrorCase>& error_cases() {
  static const std::vector<ErrorCase> cases{
      {"neither secret nor restart", "      - type: kubernetes\n        namespace: ipfs\n",
       k_t0 + ": a kubernetes target needs a secret, a restart list, or both"},
      {"an empty restart list and no secret", "      - {type: kubernetes, restart: []}\n",
       k_t0 + ": a kubernetes target needs a secret, a restart list, or both"},
      {"path belongs to file targets", "      - type: kubernetes\n        secret: s\n        path: /x\n",
       "t.yaml:6:9: swarms[0].targets[0].path: only for targets of type file"},
      {"secret belongs to kubernetes targets", "      - {type: file, path: x, secret: s}\n",
       "t.yaml:4:31: swarms[0].targets[0].secret: only for targets of type kubernetes"},
      {"every kubernetes key on a file target is reported",
       "      - type: file\n        path: x\n        restart: []\n        wait: true\n",
       "t.yaml:6:9: swarms[0].targets[0].restart: only for targets of type kubernetes\n"
       "t.yaml:7:9: swarms[0].targets[0].wait: only for targets of type kubernetes"},
      {"a file target without path, with a namespace", "      - {type: file, namespace: n}\n",
       "t.yaml:4:9: swarms[0].targets[0].path: required for type file\n"
       "t.yaml:4:22: swarms[0].targets[0].namespace: only for targets of type kubernetes"},
      {"unknown key lists every key", "      - {type: kubernetes, secret: s, restrat: []}\n",
       "t.yaml:4:39: unknown key 'restrat' in swarms[0].targets[0] (expected: type, path, namespace, secret, key, "
       "adopt, restart, strategy, wait, timeout, rollback_on_failure)"},
      {"an uppercase namespace", "      - {type: kubernetes, secret: s, namespace: IPFS}\n",
       "t.yaml:4:50: swarms[0].targets[0].namespace: invalid namespace 'IPFS'" + k_label_rule},
      {"a dotted namespace", "      - {type: kubernetes, secret: s, namespace: ipfs.system}\n",
       "t.yaml:4:50: swarms[0].targets[0].namespace: invalid namespace 'ipfs.system'" + k_label_rule},
      {"a 64-character namespace", "      - {type: kubernetes, secret: s, namespace: " + std::string(64, 'n') + "}\n",
       "t.yaml:4:50: swarms[0].targets[0].namespace: invalid namespace '" + std::string(64, 'n') + "'" + k_label_rule},
      {"a Secret name with an underscore", "      - {type: kubernetes, secret: ipfs_key}\n",
       "t.yaml:4:36: swarms[0].targets[0].secret: invalid Secret name 'ipfs_key'" + k_subdomain_rule},
      {"a Secret name ending with '.'", "      - {type: kubernetes, secret: a.}\n",
       "t.yaml:4:36: swarms[0].targets[0].secret: invalid Secret name 'a.'" + k_subdomain_rule},
      {"a 254-character Secret name", "      - {type: kubernetes, secret: " + std::string(254, 's') + "}\n",
       "t.yaml:4:36: swarms[0].targets[0].secret: invalid Secret name '" + std::string(254, 's') + "'" +
           k_subdomain_rule},
      {"an empty Secret name", "      - {type: kubernetes, secret: ''}\n",
       "t.yaml:4:36: swarms[0].targets[0].secret: must not be empty"},
      {"a Secret key with '/'", "      - {type: kubernetes, secret: s, key: ipfs/swarm.key}\n",
       "t.yaml:4:44: swarms[0].targets[0].key: invalid Secret key 'ipfs/swarm.key'" + k_key_rule},
      {"the Secret key '..'", "      - {type: kubernetes, secret: s, key: '..'}\n",
       "t.yaml:4:44: swarms[0].targets[0].key: invalid Secret key '..'" + k_key_rule},
      {"a Secret key with a space", "      - {type: kubernetes, secret: s, key: 'swarm key'}\n",
       "t.yaml:4:44: swarms[0].targets[0].key: invalid Secret key 'swarm key'" + k_key_rule},
      {"key without a secret", "      - type: kubernetes\n        restart: [{kind: StatefulSet, name: ipfs}]\n"
                               "        key: k\n        adopt: true\n",
       "t.yaml:6:9: swarms[0].targets[0].key: only used with a secret\n"
       "t.yaml:7:9: swarms[0].targets[0].adopt: only used with a secret"},
      {"adopt is a boolean", "      - {type: kubernetes, secret: s, adopt: yes}\n",
       "t.yaml:4:46: swarms[0].targets[0].adopt: expected true or false, got 'yes'"},
      {"wait is a boolean", "      - {type: kubernetes, secret: s, wait: 1}\n",
       "t.yaml:4:45: swarms[0].targets[0].wait: expected true or false, got '1'"},
      {"rollback_on_failure is a boolean", "      - {type: kubernetes, secret: s, rollback_on_failure: [true]}\n",
       "t.yaml:4:60: swarms[0].targets[0].rollback_on_failure: expected true or false, got a list"},
      {"an unknown strategy", "      - {type: kubernetes, secret: s, strategy: Rolling}\n",
       "t.yaml:4:49: swarms[0].targets[0].strategy: unknown strategy 'Rolling' (expected: rolling, recreate, none)"},
      {"strategy none on a restart-only target",
       "      - type: kubernetes\n        restart: [{kind: Deployment, name: d}]\n        strategy: none\n",
       "t.yaml:6:9: swarms[0].targets[0].strategy: none restarts nothing, and without a secret this target would do "
       "nothing"},
      {"a timeout without a unit", "      - {type: kubernetes, secret: s, timeout: 600}\n",
       "t.yaml:4:48: swarms[0].targets[0].timeout: invalid duration '600': missing or unknown unit (use ns, us, ms, s, "
       "m, h) (examples: 30s, 15m, 720h, 1h30m)"},
      {"a timeout beyond a day", "      - {type: kubernetes, secret: s, timeout: 25h}\n",
       "t.yaml:4:48: swarms[0].targets[0].timeout: must be between 1ms and 24h, got '25h'"},
      {"a zero timeout", "      - {type: kubernetes, secret: s, timeout: 0s}\n",
       "t.yaml:4:48: swarms[0].targets[0].timeout: must be between 1ms and 24h, got '0s'"},
      {"restart must be a list", "      - {type: kubernetes, secret: s, restart: {kind: StatefulSet, name: x}}\n",
       "t.yaml:4:48: swarms[0].targets[0].restart: expected a list, got a map"},
      {"a restart item must be a map", "      - type: kubernetes\n        restart: [ipfs]\n",
       "t.yaml:5:19: swarms[0].targets[0].restart[0]: expected a map, got 'ipfs'"},
      {"an unknown workload kind", "      - type: kubernetes\n        restart: [{kind: Statefulset, name: ipfs}]\n",
       "t.yaml:5:26: swarms[0].targets[0].restart[0].kind: unknown workload kind 'Statefulset' (expected: "
       "StatefulSet, Deployment, DaemonSet)"},
      {"a restart item needs kind and name", "      - type: kubernetes\n        restart:\n          - {}\n",
       "t.yaml:6:13: swarms[0].targets[0].restart[0].kind: required\n"
       "t.yaml:6:13: swarms[0].targets[0].restart[0].name: required"},
      {"an unknown key in a restart item", "      - type: kubernetes\n        restart:\n"
                                           "          - {kind: Deployment, name: d, replicas: 3}\n",
       "t.yaml:6:41: unknown key 'replicas' in swarms[0].targets[0].restart[0] (expected: kind, name)"},
      {"an invalid workload name", "      - type: kubernetes\n        restart:\n          - kind: DaemonSet\n"
                                   "            name: Edge\n",
       "t.yaml:7:19: swarms[0].targets[0].restart[0].name: invalid workload name 'Edge'" + k_subdomain_rule},
      {"the same workload twice",
       "      - type: kubernetes\n        restart:\n          - {kind: StatefulSet, name: ipfs}\n"
       "          - {kind: Deployment, name: ipfs}\n          - {kind: StatefulSet, name: ipfs}\n",
       "t.yaml:8:13: swarms[0].targets[0].restart[2]: duplicate workload StatefulSet/ipfs (first at line 6)"},
  };
  return cases;
}

TEST(KubeConfigErrors, EachProblemNamesSourceLineAndColumn) {
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE(c.reason);
    const auto config = parse_config(with_targets(c.target_lines), "t.yaml");
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().code, ErrorCode::invalid_config);
    EXPECT_EQ(config.error().message, c.expected);
  }
}

TEST(KubeConfigErrors, KubernetesSectionErrors) {
  const std::vector<ErrorCase> cases{
      {"an unknown key", "kubernetes:\n  kubeconfig: k\n  namespace: n\n",
       "t.yaml:3:3: unknown key 'namespace' in kubernetes (expected: kubeconfig, context, request_timeout)"},
      {"an empty kubeconfig", "kubernetes: {kubeconfig: ''}\n", "t.yaml:1:26: kubernetes.kubeconfig: must not be empty"},
      {"a context that is not a string", "kubernetes:\n  context: [a]\n",
       "t.yaml:2:12: kubernetes.context: expected a string, got a list"},
      {"the section must be a map", "kubernetes: in-cluster\n",
       "t.yaml:1:13: kubernetes: expected a map, got 'in-cluster'"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.reason);
    const auto config = parse_config(c.target_lines + "swarms: [{name: a}]\n", "t.yaml");
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().message, c.expected);
  }
}

TEST(KubeConfigErrors, ProblemsOfSeveralTargetsAreReportedTogether) {
  const std::string yaml =
      "kubernetes: {kubeconfig: k, cluster: c}\n"                      // 1
      "swarms:\n"                                                      // 2
      "  - name: a\n"                                                  // 3
      "    targets:\n"                                                 // 4
      "      - {type: kubernetes}\n"                                   // 5
      "      - {type: kubernetes, secret: s, path: p, timeout: 1d}\n"  // 6
      "      - {type: file, path: p, adopt: true}\n";                  // 7
  const auto config = parse_config(yaml, "k.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "k.yaml:1:29: unknown key 'cluster' in kubernetes (expected: kubeconfig, context, request_timeout)\n"
            "k.yaml:5:9: swarms[0].targets[0]: a kubernetes target needs a secret, a restart list, or both\n"
            "k.yaml:6:39: swarms[0].targets[1].path: only for targets of type file\n"
            "k.yaml:6:57: swarms[0].targets[1].timeout: invalid duration '1d': missing or unknown unit (use ns, us, ms, "
            "s, m, h) (examples: 30s, 15m, 720h, 1h30m)\n"
            "k.yaml:7:31: swarms[0].targets[2].adopt: only for targets of type kubernetes");
}

}  // namespace
}  // namespace keyd::config
