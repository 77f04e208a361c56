// Helpers for end-to-end tests of the keyd binary against the Vault test double: a temp working
// directory with keyd.yaml using store.backend vault, policies loaded from policies/*.hcl, tokens,
// AppRole and Kubernetes roles, and reading what the double stores.
#pragma once

#include "support/test_support.hpp"
#include "support/vault_double.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <map>
#include <string>
#include <vector>

namespace keyd::testing {

inline constexpr const char* k_swarm_data_path = "secret/data/ipfs-overlay/swarm-key";

class VaultCli : public ::testing::Test {
 protected:
  VaultCli() { write_config(""); }

  // keyd.yaml with a vault store; `vault_lines` go under store.vault (4-space indent). The
  // address comes from VAULT_ADDR (see env()) unless the lines set one.
  void write_config(const std::string& vault_lines) {
    write_file(dir / "keyd.yaml", "store:\n  backend: vault\n  vault:\n    mount: secret\n" + vault_lines +
                                      "audit: {file: .keyd/audit.jsonl}\n"
                                      "swarms:\n"
                                      "  - name: ipfs-overlay\n"
                                      "    path: ipfs-overlay/swarm-key\n"
                                      "    targets:\n"
                                      "      - {type: file, path: .keyd/ipfs/swarm.key}\n");
  }

  // VAULT_ADDR of the double plus `extra` (e.g. VAULT_TOKEN).
  [[nodiscard]] std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
    extra.emplace("VAULT_ADDR", vault.address());
    return extra;
  }
  [[nodiscard]] std::map<std::string, std::string> token_env(const std::string& token) const {
    return env({{"VAULT_TOKEN", token}});
  }

  // keyd with --config keyd.yaml appended.
  CommandResult keyd(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    args.insert(args.end(), {"--config", "keyd.yaml"});
    return run_keyd(args, dir.path(), environment);
  }
  CommandResult ok(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    auto r = keyd(std::move(args), environment);
    EXPECT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err;
    return r;
  }
  nlohmann::json ok_json(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    args.insert(args.end(), {"--output", "json"});
    const auto r = ok(std::move(args), environment);
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }

  // Load policies/<name>.hcl into the double unchanged.
  void load_policy(const std::string& name) {
    const std::string hcl = read_file(std::filesystem::path(KEYD_SOURCE_DIR) / "policies" / (name + ".hcl"));
    vault.control("POST", "policies", {{"name", name}, {"hcl", hcl}});
  }
  // A 1-hour token with `policies` (plus "default").
  std::string policy_token(const std::vector<std::string>& policies) {
    return vault.control("POST", "tokens", {{"ttl", "1h"}, {"policies", policies}})["token"].get<std::string>();
  }

  // What the double holds for the swarm (root token, bypassing keyd).
  nlohmann::json stored_data(int version = 0) {
    const std::string query = version > 0 ? "?version=" + std::to_string(version) : "";
    const auto reply = vault.api("GET", std::string(k_swarm_data_path) + query);
    EXPECT_EQ(reply.status, 200) << reply.raw_body;
    return reply.body["data"];
  }
  nlohmann::json stored_metadata() {
    const auto reply = vault.api("GET", "secret/metadata/ipfs-overlay/swarm-key");
    EXPECT_EQ(reply.status, 200) << reply.raw_body;
    return reply.body["data"];
  }

  VaultDouble vault;
  TempDir dir;
};

inline std::string base64url(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// An unsigned-looking service account JWT: the double decodes the claims and does not check the
// signature (no TokenReview), like a Vault whose reviewer would accept it.
inline std::string service_account_jwt(const std::string& name, const std::string& ns) {
  const nlohmann::json header{{"alg", "RS256"}, {"kid", "test"}};
  const nlohmann::json claims{{"iss", "kubernetes/serviceaccount"},
                              {"kubernetes.io/serviceaccount/namespace", ns},
                              {"kubernetes.io/serviceaccount/service-account.name", name},
                              {"sub", "system:serviceaccount:" + ns + ":" + name},
                              {"exp", 4'102'444'800}};
  return base64url(header.dump()) + "." + base64url(claims.dump()) + "." + base64url("not-a-real-signature");
}

}  // namespace keyd::testing
