// The pure Vault API layer: paths, bodies, response parsing and the status mapping, table-tested.
#include "vault/vault_api.hpp"

#include "keyd/adapters/vault/vault_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace keyd::adapters::vault {
namespace {

Secret body(std::string_view text) { return Secret::from_text(text); }
nlohmann::json as_json(const Secret& s) { return nlohmann::json::parse(s.reveal_text()); }

TEST(VaultApi, Paths) {
  EXPECT_EQ(data_path("secret", "ipfs-overlay/swarm-key"), "secret/data/ipfs-overlay/swarm-key");
  EXPECT_EQ(metadata_path("kv", "a/b"), "kv/metadata/a/b");
  EXPECT_EQ(login_path("approle"), "auth/approle/login");
}

TEST(VaultApi, WriteBodyHasCasAndExactlyTheFourFields) {
  ports::VersionData data{Secret::from_text("KEYTEXT\n"), "fp", "alice", "rotate"};
  const auto j = as_json(write_body(data, 3));
  EXPECT_EQ(j["options"]["cas"], 3);
  EXPECT_EQ(j["data"].size(), 4U);
  EXPECT_EQ(j["data"]["swarm.key"], "KEYTEXT\n");
  EXPECT_EQ(j["data"]["fingerprint"], "fp");
  EXPECT_EQ(j["data"]["issued_by"], "alice");
  EXPECT_EQ(j["data"]["reason"], "rotate");
  EXPECT_EQ(as_json(managed_by_body())["custom_metadata"]["managed-by"], "keyd");
  EXPECT_EQ(as_json(kubernetes_login_body("ipfs", Secret::from_text("jwt")))["role"], "ipfs");
  EXPECT_EQ(as_json(approle_login_body(Secret::from_text("r"), Secret::from_text("s")))["secret_id"], "s");
  EXPECT_EQ(as_json(renew_body(std::chrono::seconds{3600}))["increment"], "3600s");
}

TEST(VaultApi, ParsesAReadAndItsMetadata) {
  auto doc = parse_json(body(R"({"request_id":"x","data":{"data":{"swarm.key":"K\n","fingerprint":"f","issued_by":"i",
    "reason":"r","extra":1},"metadata":{"created_time":"2026-01-01T00:00:00.1Z","custom_metadata":null,
    "deletion_time":"","destroyed":false,"version":7}},"unknown_field":true})"), "t");
  ASSERT_TRUE(doc);
  auto read = parse_read(*doc, "t");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->info.version, 7);
  EXPECT_EQ(read->info.created_time, "2026-01-01T00:00:00.1Z");
  EXPECT_FALSE(read->info.deleted);
  EXPECT_EQ(read->data.key_text.reveal_text(), "K\n");
  EXPECT_EQ(read->data.reason, "r");
}

TEST(VaultApi, ReadWithoutSwarmKeyOrShapeIsAClearError) {
  auto no_key = parse_read(*parse_json(body(R"({"data":{"data":{"other":"x"},"metadata":{"version":1}}})"), "t"),
                           "vault GET secret/data/p");
  ASSERT_FALSE(no_key);
  EXPECT_NE(no_key.error().message.find("no \"swarm.key\" field"), std::string::npos);
  auto no_meta = parse_read(*parse_json(body(R"({"data":{"data":{}}})"), "t"), "w");
  ASSERT_FALSE(no_meta);
  EXPECT_NE(no_meta.error().message.find("data.metadata"), std::string::npos);
  auto not_json = parse_json(body("<html>bad gateway</html>"), "vault GET secret/data/p");
  ASSERT_FALSE(not_json);
  EXPECT_NE(not_json.error().message.find("vault GET secret/data/p"), std::string::npos);
}

TEST(VaultApi, ParsesMetadataVersionsInOrder) {
  auto doc = parse_json(body(R"({"data":{"current_version":10,"oldest_version":9,"max_versions":0,
    "created_time":"c","updated_time":"u","custom_metadata":{"managed-by":"keyd"},
    "versions":{"10":{"created_time":"b","deletion_time":"","destroyed":false},
                "9":{"created_time":"a","deletion_time":"2026-01-02T00:00:00Z","destroyed":false},
                "8":{"created_time":"z","deletion_time":"","destroyed":true}}}})"), "t");
  auto meta = parse_metadata(*doc, "t");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->current_version, 10);
  ASSERT_EQ(meta->versions.size(), 3U);
  EXPECT_EQ(meta->versions[0].version, 8);
  EXPECT_TRUE(meta->versions[0].destroyed);
  EXPECT_TRUE(meta->versions[1].deleted);
  EXPECT_EQ(meta->versions[2].version, 10);
}

TEST(VaultApi, ParsesLoginAndLookup) {
  auto login = parse_login(*parse_json(body(R"({"auth":{"client_token":"hvs.T","lease_duration":3600,
    "renewable":true,"policies":["keyd"]},"lease_duration":0})"), "t"), "t");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->token.reveal_text(), "hvs.T");
  EXPECT_EQ(login->ttl.count(), 3600);
  EXPECT_TRUE(login->renewable);
  EXPECT_FALSE(parse_login(*parse_json(body(R"({"auth":{"lease_duration":1}})"), "t"), "t"));
  auto root = parse_lookup(*parse_json(body(R"({"data":{"ttl":0,"renewable":false,"policies":["root"]}})"), "t"), "t");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->ttl.count(), 0);
}

TEST(VaultApi, StatusMapping) {
  struct Case {
    int status;
    const char* body;
    ErrorCode code;
    const char* contains;
    const char* why;
  };
  const std::vector<Case> cases{
      {404, R"({"errors":[]})", ErrorCode::not_found, "vault GET p: 404 not found", "plain not found"},
      {404,
       R"({"data":{"data":null,"metadata":{"version":2,"deletion_time":"2026-01-01T00:00:00Z","destroyed":false}}})",
       ErrorCode::not_found, "version 2 was deleted at 2026-01-01T00:00:00Z", "soft-deleted version"},
      {404, R"({"data":{"data":null,"metadata":{"version":3,"deletion_time":"","destroyed":true}}})",
       ErrorCode::not_found, "version 3 was destroyed", "destroyed version"},
      {400, R"({"errors":["check-and-set parameter did not match the current version"]})", ErrorCode::conflict,
       "400 check-and-set", "CAS mismatch"},
      {400, R"({"errors":["no data provided"]})", ErrorCode::invalid_input, "no data provided", "other 400"},
      {403, R"({"errors":["permission denied"]})", ErrorCode::unauthorized, "403 permission denied", "403"},
      {503, R"({"errors":["Vault is sealed"]})", ErrorCode::unavailable, "503 Vault is sealed", "sealed"},
      {429, "", ErrorCode::unavailable, "vault GET p: 429", "rate limited, no body"},
      {500, "<html>", ErrorCode::unavailable, "vault GET p: 500", "500 with junk"},
      {405, R"({"errors":["unsupported operation"]})", ErrorCode::internal, "405", "unexpected status"},
  };
  for (const auto& c : cases) {
    const Error e = status_error("vault GET p", c.status, body(c.body));
    EXPECT_EQ(e.code, c.code) << c.why;
    EXPECT_NE(e.message.find(c.contains), std::string::npos) << c.why << ": " << e.message;
  }
  EXPECT_TRUE(is_retryable_status(503));
  EXPECT_TRUE(is_retryable_status(412));
  EXPECT_FALSE(is_retryable_status(403));
  EXPECT_FALSE(is_retryable_status(404));
}

TEST(VaultApi, AddressPolicy) {
  EXPECT_TRUE(check_vault_address("https://vault.example:8200", false));
  EXPECT_TRUE(check_vault_address("http://127.0.0.1:8200", false));
  EXPECT_TRUE(check_vault_address("http://localhost:8200/", false));
  EXPECT_TRUE(check_vault_address("http://[::1]:8200", false));
  EXPECT_FALSE(check_vault_address("http://vault.example:8200", false));
  EXPECT_FALSE(check_vault_address("http://127.0.0.1.evil.example:8200", false));
  EXPECT_TRUE(check_vault_address("http://vault.example:8200", true));
  EXPECT_FALSE(check_vault_address("ftp://vault", true));
}

// Found by tests/fuzz/vault_fuzz: a field that is not UTF-8 (a caller name from the tokens file, a
// --reason) made write_body throw nlohmann's type_error out of the store. It is sent with U+FFFD.
TEST(VaultApi, WriteBodyOfFieldsThatAreNotUtf8) {
  ports::VersionData data{Secret::from_text("KEYTEXT\n"), "fp", "caller \xff\xfe", "rotate \xc3"};
  Secret body;
  ASSERT_NO_THROW(body = write_body(data, 1));
  const auto j = as_json(body);
  EXPECT_EQ(j["data"]["issued_by"], "caller \xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(j["data"]["reason"], "rotate \xef\xbf\xbd");
  EXPECT_EQ(j["data"]["swarm.key"], "KEYTEXT\n");
}

// The same class of finding in the Vault parsers (tests/fuzz/mcp_tools_fuzz found it in the MCP
// read): members of another type than expected count as absent instead of throwing.
TEST(VaultApi, MembersOfTheWrongTypeDoNotThrow) {
  const auto doc = parse_json(body(R"({"data":{"data":{"swarm.key":"k"},"metadata":{"version":"3","destroyed":"no"},)"
                                   R"("current_version":"x","versions":{"1":{"destroyed":1}},"ttl":"1h"},)"
                                   R"("auth":{"client_token":"t","lease_duration":"1h","renewable":"yes"}})"),
                              "test");
  ASSERT_TRUE(doc.has_value());
  ASSERT_NO_THROW((void)parse_read(*doc, "test"));
  const auto read = parse_read(*doc, "test");
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->info.version, 0);
  EXPECT_FALSE(read->info.destroyed);
  ASSERT_NO_THROW((void)parse_metadata(*doc, "test"));
  ASSERT_NO_THROW((void)parse_login(*doc, "test"));
  ASSERT_NO_THROW((void)parse_lookup(*doc, "test"));
  EXPECT_EQ(status_error("test", 404, body(R"({"data":{"metadata":{"version":"2","destroyed":"yes"}}})")).code,
            ErrorCode::not_found);
}

// Vault's "errors" may echo what was sent (a plugin, a proxy, a policy message): keyd's error keeps
// the words, never a key-shaped run (tests/fuzz/vault_fuzz found one quoted whole). The
// check-and-set conflict is still recognised.
TEST(VaultApi, QuotedErrorsNeverCarryAKeyShapedRun) {
  const std::string hex(64, 'b');
  const std::string b64 = "q83vEjRWeJq8PJ8Lk1oFHQ+3TgKZwTjxCV5ARdC2s0E=";
  for (const std::string& run : {hex, b64}) {
    for (const int status : {400, 403, 404, 500, 503}) {
      const Error e = status_error("vault PUT secret/data/x", status,
                                   body(R"({"errors":["invalid value )" + run + R"(", "second"]})"));
      EXPECT_EQ(e.message.find(run.substr(0, 16)), std::string::npos) << e.message;
      EXPECT_NE(e.message.find("invalid value"), std::string::npos) << e.message;
    }
  }
  const Error cas = status_error("vault PUT secret/data/x", 400,
                                 body(R"({"errors":["check-and-set parameter did not match the current version )" + hex + R"("]})"));
  EXPECT_EQ(cas.code, ErrorCode::conflict);
  EXPECT_EQ(cas.message.find(hex.substr(0, 16)), std::string::npos) << cas.message;
}

}  // namespace
}  // namespace keyd::adapters::vault
