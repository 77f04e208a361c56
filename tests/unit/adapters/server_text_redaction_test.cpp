// Fuzz finding 8: text a server sends back (a Kubernetes Status' message, reason and causes, Vault's
// "errors") may echo what keyd sent it, a Secret's data included. keyd quotes it in its errors with
// key-shaped runs (16+ hex digits, 20+ base64 characters) replaced by <redacted>; the rest stays.
#include "kube/kube_status.hpp"
#include "vault/vault_api.hpp"

#include "keyd/common/base64.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace keyd::adapters {
namespace {

// Built at run time so that no key-shaped text is in the tree (keyd scan --git-history).
std::array<std::uint8_t, 32> key_bytes() {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(37 * i + 11);
  return bytes;
}

std::string key_hex64() {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const auto b : key_bytes()) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string key_base64_44() { return std::string(base64_encode(key_bytes()).reveal_text()); }

Secret json_body(const nlohmann::json& doc) { return Secret::from_text(doc.dump()); }

TEST(ServerTextRedaction, TheKeyRunsUsedHereAreKeyShaped) {
  EXPECT_EQ(key_hex64().size(), 64U);
  EXPECT_EQ(key_base64_44().size(), 44U);
}

TEST(ServerTextRedaction, KubeStatusMessageWithAHexKeyRun) {
  const auto body = json_body({{"kind", "Status"},
                               {"message", "Secret \"k\" is invalid: data[swarm.key]: value " + key_hex64() +
                                               " is not allowed"},
                               {"reason", "Invalid"},
                               {"code", 409}});
  const Error e = kube::status_error("kubernetes PUT /api/v1/namespaces/ipfs/secrets/k", 409, body);
  EXPECT_EQ(e.code, ErrorCode::conflict);
  EXPECT_EQ(e.message.find(key_hex64().substr(0, 16)), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("kubernetes PUT /api/v1/namespaces/ipfs/secrets/k: 409"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("Secret \"k\" is invalid: data[swarm.key]: value <redacted> is not allowed"),
            std::string::npos)
      << e.message;
}

TEST(ServerTextRedaction, KubeStatusCausesWithABase64KeyRun) {
  const auto body = json_body(
      {{"kind", "Status"},
       {"message", "Secret \"k\" is invalid"},
       {"details", {{"causes", {{{"field", "data[swarm.key]"}, {"message", "bad value " + key_base64_44()}}}}}},
       {"code", 422}});
  const Error e = kube::status_error("kubernetes POST /api/v1/namespaces/ipfs/secrets", 422, body);
  EXPECT_EQ(e.code, ErrorCode::invalid_input);
  EXPECT_EQ(e.message.find(key_base64_44().substr(0, 20)), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("Secret \"k\" is invalid; data[swarm.key]: bad value <redacted>"), std::string::npos)
      << e.message;
}

TEST(ServerTextRedaction, KubeStatusOrdinaryMessagesStayWhole) {
  const std::string message =
      "Operation cannot be fulfilled on secrets \"ipfs-swarm-key\": the object has been modified; please apply "
      "your changes to the latest version and try again (uid 1c0e0b54-5d3a-4c8e-9f0a-2b7d6c1e3f48, "
      "resourceVersion 1234567)";
  const Error e = kube::status_error("kubernetes PUT p", 409, json_body({{"message", message}}));
  EXPECT_EQ(e.message, "kubernetes PUT p: 409 " + message);
}

TEST(ServerTextRedaction, VaultErrorsWithKeyRuns) {
  const auto body = json_body({{"errors",
                                {"1 error occurred:\n\t* invalid value " + key_hex64(),
                                 "field swarm.key " + key_base64_44() + " rejected"}}});
  const Error e = vault::status_error("vault POST secret/data/ipfs-overlay/swarm-key", 400, body);
  EXPECT_EQ(e.code, ErrorCode::invalid_input);
  EXPECT_EQ(e.message.find(key_hex64().substr(0, 16)), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find(key_base64_44().substr(0, 20)), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("vault POST secret/data/ipfs-overlay/swarm-key: 400"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("invalid value <redacted>"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("field swarm.key <redacted> rejected"), std::string::npos) << e.message;
}

TEST(ServerTextRedaction, VaultCheckAndSetIsStillAConflict) {
  const auto body = json_body({{"errors", {"check-and-set parameter did not match the current version"}}});
  const Error e = vault::status_error("vault POST secret/data/ipfs-overlay/swarm-key", 400, body);
  EXPECT_EQ(e.code, ErrorCode::conflict);
  EXPECT_NE(e.message.find("check-and-set parameter did not match the current version"), std::string::npos);
}

}  // namespace
}  // namespace keyd::adapters
