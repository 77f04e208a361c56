// Helpers for end-to-end tests of the keyd binary in a temporary directory.
#pragma once

#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace keyd::testing {

inline constexpr const char* k_local_config = R"(store:
  backend: file
  file: {dir: .keyd/store}
audit: {file: .keyd/audit.jsonl}
swarms:
  - name: ipfs-overlay
    path: ipfs-overlay/swarm-key
    targets:
      - {type: file, path: .keyd/ipfs/swarm.key}
)";

// A temp dir holding keyd.yaml with k_local_config.
class KeydCli : public ::testing::Test {
 protected:
  KeydCli() { write_file(dir / "keyd.yaml", k_local_config); }

  CommandResult keyd(std::vector<std::string> args, const std::map<std::string, std::string>& env = {},
                     const std::string& stdin_data = {}) {
    return run_keyd(args, dir.path(), env, stdin_data);
  }
  // keyd with --config keyd.yaml appended, expecting success.
  CommandResult ok(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", "keyd.yaml"});
    auto r = keyd(args);
    EXPECT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err;
    return r;
  }
  nlohmann::json ok_json(std::vector<std::string> args) {
    args.insert(args.end(), {"--output", "json"});
    return nlohmann::json::parse(ok(args).out);
  }

  TempDir dir;
};

}  // namespace keyd::testing
