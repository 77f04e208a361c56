// parse_config error reporting: every problem with exact "<source>:<line>:<column>: <message>".
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::config {
namespace {

struct ErrorCase {
  std::string reason;
  std::string yaml;
  std::string expected;  // the whole error message
};

const std::vector<ErrorCase>& error_cases() {
  static const std::vector<ErrorCase> cases{
      {"an empty document is no configuration", "", "t.yaml:1:1: no configuration"},
      {"comments only are no configuration", "# nothing here\n\n", "t.yaml:1:1: no configuration"},
      {"YAML syntax errors carry their position", "swarms:\n  - name: a\n   bad: [\n",
       "t.yaml:3:4: end of sequence not found"},
      {"an unclosed flow list", "swarms: [{name: a}\n", "t.yaml:2:1: end of sequence flow not found"},
      {"the top level must be a map", "- a\n- b\n", "t.yaml:1:1: top level: expected a map, got a list"},
      {"several YAML documents", "swarms: [{name: a}]\n---\nswarms: [{name: b}]\n",
       "t.yaml:3:1: expected one YAML document, found 2"},
      // Fuzz finding: yaml-cpp 0.7's LoadAll looped forever on these, growing without bound.
      {"a stray ',' at the top level ends", ",", "t.yaml:1:1: unexpected token outside any collection (is a ',' or ']' misplaced?)"},
      {"a stray ',' after a map ends", "swarms: [{name: a}]\n,\n", "t.yaml:2:1: end of map not found"},
      {"more documents than a keyd file has", [] {
         std::string many;
         for (int i = 0; i < 70; ++i) many += "a: 1\n---\n";
         return many;
       }(), "t.yaml:128:1: more than 64 YAML documents; keyd files hold one"},
      {"unknown top-level key", "swarms: [{name: a}]\nstorre: {}\n",
       "t.yaml:2:1: unknown key 'storre' (expected: store, audit, kubernetes, swarms, sync_interval, concurrency, server, leader_election)"},
      {"duplicate top-level key", "swarms: [{name: a}]\nswarms: [{name: b}]\n",
       "t.yaml:2:1: duplicate key 'swarms' (first at line 1)"},
      {"unknown key in a nested map", "store:\n  backend: file\n  file:\n    dirr: x\nswarms: [{name: a}]\n",
       "t.yaml:4:5: unknown key 'dirr' in store.file (expected: dir, master_key_file, max_versions)"},
      {"duplicate key in a nested map", "store:\n  file:\n    dir: a\n    dir: b\nswarms: [{name: a}]\n",
       "t.yaml:4:5: duplicate key 'dir' in store.file (first at line 3)"},
      {"max_versions must be an integer", "store:\n  file:\n    max_versions: ten\nswarms: [{name: a}]\n",
       "t.yaml:3:19: store.file.max_versions: expected an integer, got 'ten'"},
      {"max_versions below the range", "store:\n  file:\n    max_versions: 0\nswarms: [{name: a}]\n",
       "t.yaml:3:19: store.file.max_versions: must be between 1 and 100, got 0"},
      {"max_versions above the range", "store:\n  file:\n    max_versions: 101\nswarms: [{name: a}]\n",
       "t.yaml:3:19: store.file.max_versions: must be between 1 and 100, got 101"},
      {"max_versions far beyond int", "store:\n  file:\n    max_versions: 99999999999\nswarms: [{name: a}]\n",
       "t.yaml:3:19: store.file.max_versions: must be between 1 and 100, got 99999999999"},
      {"a string field given a map", "store:\n  file:\n    dir: {a: b}\nswarms: [{name: a}]\n",
       "t.yaml:3:10: store.file.dir: expected a string, got a map"},
      {"an empty string is not a directory", "store:\n  file:\n    dir: ''\nswarms: [{name: a}]\n",
       "t.yaml:3:10: store.file.dir: must not be empty"},
      {"an empty value is reported at its key", "store:\n  file:\n    dir:\nswarms: [{name: a}]\n",
       "t.yaml:3:5: store.file.dir: expected a string, got an empty value"},
      {"a section must be a map", "store: file\nswarms: [{name: a}]\n",
       "t.yaml:1:8: store: expected a map, got 'file'"},
      {"mcp needs the server to start", "store:\n  backend: mcp\nswarms: [{name: a}]\n",
       "t.yaml:2:12: store.mcp.command: required with backend mcp (the MCP server to start)"},
      {"unknown backend", "store:\n  backend: s3\nswarms: [{name: a}]\n",
       "t.yaml:2:12: store.backend: unknown backend 's3' (expected: file, vault, mcp, daemon)"},
      {"unknown key in audit", "audit: {path: x}\nswarms: [{name: a}]\n",
       "t.yaml:1:9: unknown key 'path' in audit (expected: sink, file, head_path)"},
      {"unknown audit sink", "audit: {sink: syslog}\nswarms: [{name: a}]\n",
       "t.yaml:1:15: audit.sink: unknown sink 'syslog' (expected: file, stdout)"},
      {"sink stdout needs a store with check-and-set",
       "store: {backend: mcp, mcp: {command: [poly-secret-mcp]}}\naudit: {sink: stdout}\nswarms: [{name: a}]\n",
       "t.yaml:2:15: audit.sink: stdout keeps the audit chain's head in the store with check-and-set; the mcp backend "
       "has no check-and-set: use sink file"},
      {"the audit head is not a swarm's key", "audit: {sink: stdout, head_path: a/swarm-key}\nswarms: [{name: a}]\n",
       "t.yaml:1:34: audit.head_path: 'a/swarm-key' is swarm a's store path (the head would become a version of its "
       "key); pick another"},
      {"the audit head path is a store path", "audit: {sink: stdout, head_path: /abs}\nswarms: [{name: a}]\n",
       "t.yaml:1:34: audit.head_path: invalid store path: absolute paths are not allowed"},
      {"swarms is required", "store:\n  backend: file\n", "t.yaml:1:1: swarms: required"},
      {"swarms needs at least one swarm", "swarms: []\n", "t.yaml:1:9: swarms: at least one swarm is required"},
      {"swarms must be a list", "swarms: a\n", "t.yaml:1:9: swarms: expected a list, got 'a'"},
      {"swarms must not be empty", "swarms:\n", "t.yaml:1:1: swarms: expected a list, got an empty value"},
      {"a swarm must be a map", "swarms:\n  - a\n", "t.yaml:2:5: swarms[0]: expected a map, got 'a'"},
      {"a swarm needs a name", "swarms:\n  - path: a/b\n", "t.yaml:2:5: swarms[0].name: required"},
      {"unknown key in a swarm", "swarms:\n  - name: a\n    tagets: []\n",
       "t.yaml:3:5: unknown key 'tagets' in swarms[0] (expected: name, path, targets, rotation, key_readers, operators)"},
      {"duplicate swarm names", "swarms:\n  - name: a\n  - name: b\n  - name: a\n",
       "t.yaml:4:11: swarms[2].name: duplicate swarm name 'a' (first at line 2)"},
      {"uppercase in a swarm name", "swarms:\n  - name: Overlay\n",
       "t.yaml:2:11: swarms[0].name: invalid swarm name 'Overlay' (lowercase letters, digits and '-', not starting "
       "or ending with '-', at most 63 characters)"},
      {"a swarm name ending with '-'", "swarms:\n  - name: a-\n",
       "t.yaml:2:11: swarms[0].name: invalid swarm name 'a-' (lowercase letters, digits and '-', not starting or "
       "ending with '-', at most 63 characters)"},
      {"a 64-character swarm name", "swarms:\n  - name: " + std::string(64, 'a') + "\n",
       "t.yaml:2:11: swarms[0].name: invalid swarm name '" + std::string(64, 'a') +
           "' (lowercase letters, digits and '-', not starting or ending with '-', at most 63 characters)"},
      {"an absolute store path", "swarms:\n  - name: a\n    path: /etc/key\n",
       "t.yaml:3:11: swarms[0].path: must be relative (no leading '/'), got '/etc/key'"},
      {"'..' in a store path", "swarms:\n  - name: a\n    path: a/../b\n",
       "t.yaml:3:11: swarms[0].path: must not contain '.' or '..' components, got 'a/../b'"},
      {"an empty component in a store path", "swarms:\n  - name: a\n    path: a//b\n",
       "t.yaml:3:11: swarms[0].path: must not contain empty components ('//' or a trailing '/'), got 'a//b'"},
      {"a trailing '/' in a store path", "swarms:\n  - name: a\n    path: a/\n",
       "t.yaml:3:11: swarms[0].path: must not contain empty components ('//' or a trailing '/'), got 'a/'"},
      {"targets must be a list", "swarms:\n  - name: a\n    targets: {type: file}\n",
       "t.yaml:3:14: swarms[0].targets: expected a list, got a map"},
      {"a target needs a type", "swarms:\n  - name: a\n    targets:\n      - path: x\n",
       "t.yaml:4:9: swarms[0].targets[0].type: required"},
      {"a file target needs a path", "swarms:\n  - name: a\n    targets:\n      - type: file\n",
       "t.yaml:4:9: swarms[0].targets[0].path: required for type file"},
      {"a kubernetes target with nothing to do", "swarms:\n  - name: a\n    targets:\n      - type: kubernetes\n",
       "t.yaml:4:9: swarms[0].targets[0]: a kubernetes target needs a secret, a restart list, or both"},
      {"unknown target type", "swarms:\n  - name: a\n    targets:\n      - {type: s3, path: x}\n",
       "t.yaml:4:16: swarms[0].targets[0].type: unknown target type 's3' (expected: file, kubernetes)"},
  };
  return cases;
}

TEST(ParseConfigErrors, EachProblemNamesSourceLineAndColumn) {
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE(c.reason);
    const auto config = parse_config(c.yaml, "t.yaml");
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().code, ErrorCode::invalid_config);
    EXPECT_EQ(config.error().message, c.expected);
  }
}

TEST(ParseConfigErrors, AllProblemsAreReportedTogetherInFileOrder) {
  const std::string yaml =
      "store:\n"                  // 1
      "  backend: mcp\n"          // 2
      "  file:\n"                 // 3
      "    dirr: x\n"             // 4
      "    max_versions: ten\n"   // 5
      "swarms:\n"                 // 6
      "  - name: a\n"             // 7
      "    path: /abs\n"          // 8
      "  - name: a\n"             // 9
      "colour: blue\n";           // 10
  const auto config = parse_config(yaml, "configs/local.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "configs/local.yaml:2:12: store.mcp.command: required with backend mcp (the MCP server to start)\n"
            "configs/local.yaml:4:5: unknown key 'dirr' in store.file (expected: dir, master_key_file, max_versions)\n"
            "configs/local.yaml:5:19: store.file.max_versions: expected an integer, got 'ten'\n"
            "configs/local.yaml:8:11: swarms[0].path: must be relative (no leading '/'), got '/abs'\n"
            "configs/local.yaml:9:11: swarms[1].name: duplicate swarm name 'a' (first at line 7)\n"
            "configs/local.yaml:10:1: unknown key 'colour' (expected: store, audit, kubernetes, swarms, sync_interval, concurrency, server, leader_election)");
}

TEST(ParseConfigErrors, ProblemsInSeveralSwarmsAndTargetsAreAllReported) {
  const std::string yaml =
      "swarms:\n"
      "  - name: A\n"
      "    targets: [{type: kubernetes, secret: S}, {path: x}]\n"
      "  - {name: b, path: ../b}\n";
  const auto config = parse_config(yaml, "t.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "t.yaml:2:11: swarms[0].name: invalid swarm name 'A' (lowercase letters, digits and '-', not starting or "
            "ending with '-', at most 63 characters)\n"
            "t.yaml:3:42: swarms[0].targets[0].secret: invalid Secret name 'S' (lowercase letters, digits, '-' and "
            "'.', each '.'-separated part starting and ending with a letter or digit, at most 253 characters)\n"
            "t.yaml:3:46: swarms[0].targets[1].type: required\n"
            "t.yaml:4:21: swarms[1].path: must not contain '.' or '..' components, got '../b'");
}

}  // namespace
}  // namespace keyd::config
