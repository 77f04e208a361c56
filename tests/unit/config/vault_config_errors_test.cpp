// store.vault errors: each with its exact "<source>:<line>:<column>: <message>".
#include "keyd/config/config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace keyd::config {
namespace {

struct ErrorCase {
  std::string reason;
  std::string vault_lines;  // the store.vault section's lines; they start at line 4
  std::string expected;
};

std::string with_vault(const std::string& vault_lines) {
  return "store:\n  backend: vault\n  vault:\n" + vault_lines + "swarms: [{name: a}]\n";
}

const std::string k_examples = " (examples: 30s, 15m, 720h, 1h30m)";

const std::vector<ErrorCase>& error_cases() {
  static const std::vector<ErrorCase> cases{
      {"a duration without a known unit", "    timeout: 3x\n",
       "t.yaml:4:14: store.vault.timeout: invalid duration '3x': missing or unknown unit (use ns, us, ms, s, m, h)" +
           k_examples},
      {"a negative duration", "    timeout: -5s\n",
       "t.yaml:4:14: store.vault.timeout: invalid duration '-5s': expected a number" + k_examples},
      {"a bare number is not a duration", "    connect_timeout: 5\n",
       "t.yaml:4:22: store.vault.connect_timeout: invalid duration '5': missing or unknown unit (use ns, us, ms, s, m, "
       "h)" + k_examples},
      {"a zero timeout", "    timeout: 0\n", "t.yaml:4:14: store.vault.timeout: must be between 1ms and 1h, got '0'"},
      {"a timeout beyond an hour", "    connect_timeout: 2h\n",
       "t.yaml:4:22: store.vault.connect_timeout: must be between 1ms and 1h, got '2h'"},
      {"a timeout that is not whole milliseconds", "    timeout: 1500us\n",
       "t.yaml:4:14: store.vault.timeout: must be a whole number of milliseconds, got '1500us'"},
      {"an empty timeout is reported at its key", "    timeout:\n",
       "t.yaml:4:5: store.vault.timeout: expected a string, got an empty value"},
      {"max_attempts below the range", "    max_attempts: 0\n",
       "t.yaml:4:19: store.vault.max_attempts: must be between 1 and 10, got 0"},
      {"max_attempts above the range", "    max_attempts: 11\n",
       "t.yaml:4:19: store.vault.max_attempts: must be between 1 and 10, got 11"},
      {"YAML 1.1 'yes' is not a boolean", "    allow_insecure_http: yes\n",
       "t.yaml:4:26: store.vault.allow_insecure_http: expected true or false, got 'yes'"},
      {"a number is not a boolean", "    tls:\n      insecure_skip_verify: 1\n",
       "t.yaml:5:29: store.vault.tls.insecure_skip_verify: expected true or false, got '1'"},
      {"an address without a scheme", "    address: vault:8200\n",
       "t.yaml:4:14: store.vault.address: expected an https:// (or http://) URL, got 'vault:8200'"},
      {"an address without a host", "    address: https:///v1\n",
       "t.yaml:4:14: store.vault.address: expected an https:// (or http://) URL, got 'https:///v1'"},
      {"an empty address", "    address: ''\n", "t.yaml:4:14: store.vault.address: must not be empty"},
      {"an absolute mount", "    mount: /secret\n",
       "t.yaml:4:12: store.vault.mount: must be relative (no leading '/'), got '/secret'"},
      {"a mount with a trailing '/'", "    mount: secret/\n",
       "t.yaml:4:12: store.vault.mount: must not contain empty components ('//' or a trailing '/'), got 'secret/'"},
      {"a namespace must be a string", "    namespace: {a: b}\n",
       "t.yaml:4:16: store.vault.namespace: expected a string, got a map"},
      {"unknown key in store.vault", "    adress: https://v\n",
       "t.yaml:4:5: unknown key 'adress' in store.vault (expected: address, mount, namespace, allow_insecure_http, "
       "timeout, connect_timeout, max_attempts, auth, tls)"},
      {"unknown auth method", "    auth:\n      method: ldap\n",
       "t.yaml:5:15: store.vault.auth.method: unknown auth method 'ldap' (expected: token, approle, kubernetes)"},
      {"unknown key in auth", "    auth: {methd: token}\n",
       "t.yaml:4:12: unknown key 'methd' in store.vault.auth (expected: method, token_file, role_id_file, "
       "secret_id_file, role, jwt_file, mount)"},
      {"approle needs both files", "    auth:\n      method: approle\n",
       "t.yaml:5:7: store.vault.auth.role_id_file: required for auth method approle\n"
       "t.yaml:5:7: store.vault.auth.secret_id_file: required for auth method approle"},
      {"approle needs the secret_id_file too", "    auth:\n      method: approle\n      role_id_file: /r\n",
       "t.yaml:5:7: store.vault.auth.secret_id_file: required for auth method approle"},
      {"kubernetes needs a role", "    auth: {method: kubernetes}\n",
       "t.yaml:4:11: store.vault.auth.role: required for auth method kubernetes"},
      {"an approle key with the token method", "    auth:\n      token_file: /t\n      role_id_file: /r\n",
       "t.yaml:6:7: store.vault.auth.role_id_file: not used by auth method token"},
      {"a token key with the kubernetes method",
       "    auth:\n      method: kubernetes\n      role: keyd\n      token_file: /t\n",
       "t.yaml:7:7: store.vault.auth.token_file: not used by auth method kubernetes"},
      {"an auth mount with the token method", "    auth: {mount: approle}\n",
       "t.yaml:4:12: store.vault.auth.mount: not used by auth method token"},
      {"an empty role is not a role", "    auth: {method: kubernetes, role: ''}\n",
       "t.yaml:4:38: store.vault.auth.role: must not be empty"},
      {"a client key needs a client certificate", "    tls:\n      client_key_file: client.key\n",
       "t.yaml:5:7: store.vault.tls.client_key_file: requires client_cert_file"},
      {"unknown key in tls", "    tls: {ca: ca.pem}\n",
       "t.yaml:4:11: unknown key 'ca' in store.vault.tls (expected: ca_file, client_cert_file, client_key_file, "
       "server_name, insecure_skip_verify)"},
  };
  return cases;
}

TEST(VaultConfigErrors, EachProblemNamesSourceLineAndColumn) {
  for (const ErrorCase& c : error_cases()) {
    SCOPED_TRACE(c.reason);
    const auto config = parse_config(with_vault(c.vault_lines), "t.yaml");
    ASSERT_FALSE(config.has_value());
    EXPECT_EQ(config.error().code, ErrorCode::invalid_config);
    EXPECT_EQ(config.error().message, c.expected);
  }
}

TEST(VaultConfigErrors, SectionMustBeAMap) {
  const auto config = parse_config("store:\n  backend: vault\n  vault: https://v:8200\nswarms: [{name: a}]\n", "t.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message, "t.yaml:3:10: store.vault: expected a map, got 'https://v:8200'");
}

TEST(VaultConfigErrors, SectionIsCheckedEvenWithTheFileBackend) {
  const auto config = parse_config("store:\n  backend: file\n  vault:\n    timeout: 3x\nswarms: [{name: a}]\n", "t.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "t.yaml:4:14: store.vault.timeout: invalid duration '3x': missing or unknown unit (use ns, us, ms, s, m, h)" +
                k_examples);
}

TEST(VaultConfigErrors, UnknownMethodDoesNotAlsoReportItsKeys) {
  // role_id_file would be "not used by auth method token" if the bad method fell back to the default.
  const auto config = parse_config(with_vault("    auth:\n      method: AppRole\n      role_id_file: /r\n"), "t.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "t.yaml:5:15: store.vault.auth.method: unknown auth method 'AppRole' (expected: token, approle, kubernetes)");
}

TEST(VaultConfigErrors, AllProblemsAreReportedTogetherInFileOrder) {
  const std::string vault =
      "    address: vault.example\n"        // 4
      "    timeout: 30\n"                   // 5
      "    auth:\n"                         // 6
      "      method: approle\n"             // 7
      "      role_id_file: /r\n"            // 8
      "      jwt_file: /j\n"                // 9
      "    tls:\n"                          // 10
      "      client_key_file: k.pem\n"      // 11
      "      insecure_skip_verify: no\n";   // 12
  const auto config = parse_config(with_vault(vault), "configs/vault.yaml");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().message,
            "configs/vault.yaml:4:14: store.vault.address: expected an https:// (or http://) URL, got 'vault.example'\n"
            "configs/vault.yaml:5:14: store.vault.timeout: invalid duration '30': missing or unknown unit (use ns, us, "
            "ms, s, m, h)" + k_examples + "\n"
            "configs/vault.yaml:7:7: store.vault.auth.secret_id_file: required for auth method approle\n"
            "configs/vault.yaml:9:7: store.vault.auth.jwt_file: not used by auth method approle\n"
            "configs/vault.yaml:11:7: store.vault.tls.client_key_file: requires client_cert_file\n"
            "configs/vault.yaml:12:29: store.vault.tls.insecure_skip_verify: expected true or false, got 'no'");
}

}  // namespace
}  // namespace keyd::config
