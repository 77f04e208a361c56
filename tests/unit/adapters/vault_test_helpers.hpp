// Helpers shared by the Vault store tests: a fixture with a Vault double, the real curl transport
// and a FakeClock; recognisable version data; request-log counting; leak checks; JWTs.
#pragma once

#include "keyd/adapters/curl/curl_transport.hpp"
#include "keyd/adapters/vault/vault_store.hpp"

#include "adapter_test_helpers.hpp"
#include "support/vault_double.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <stdexcept>

namespace keyd::adapters::vault_test {

using nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* k_path = "ipfs-overlay/swarm-key";
inline constexpr const char* k_data_path = "/v1/secret/data/ipfs-overlay/swarm-key";
inline constexpr const char* k_metadata_path = "/v1/secret/metadata/ipfs-overlay/swarm-key";

// 64 hex digits derived from the seed (recognisable in messages and logs).
inline std::string key_hex(int seed) {
  std::string hex;
  const auto s = static_cast<std::uint32_t>(seed);
  for (std::uint32_t i = 0; i < 8; ++i) hex += fmt::format("{:08x}", s * 2246822519U + i * 3266489917U + 0x27d4eb2fU);
  return hex;
}
inline std::string key_text(int seed) { return "/key/swarm/psk/1.0.0/\n/base16/\n" + key_hex(seed) + "\n"; }
inline std::string fingerprint(int seed) { return key_hex(seed + 1000).substr(0, 32); }

inline ports::VersionData version_data(int seed, std::string issued_by = "keyd-test") {
  ports::VersionData data;
  data.key_text = Secret::from_text(key_text(seed));
  data.fingerprint = fingerprint(seed);
  data.issued_by = std::move(issued_by);
  data.reason = seed == 1 ? "initial" : "rotate";
  return data;
}

// The JSON "data" object a version with this seed has in Vault.
inline json stored_data(int seed, const std::string& issued_by = "keyd-test") {
  return {{"swarm.key", key_text(seed)},
          {"fingerprint", fingerprint(seed)},
          {"issued_by", issued_by},
          {"reason", seed == 1 ? "initial" : "rotate"}};
}

inline void expect_data_is(const ports::VersionData& got, int seed, const std::string& issued_by = "keyd-test") {
  EXPECT_EQ(got.key_text.reveal_text(), key_text(seed));
  EXPECT_EQ(got.fingerprint, fingerprint(seed));
  EXPECT_EQ(got.issued_by, issued_by);
  EXPECT_EQ(got.reason, seed == 1 ? "initial" : "rotate");
}

using test_helpers::code_of;
using test_helpers::contains;

inline bool icontains(std::string haystack, std::string needle) {
  const auto lower = [](std::string& s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  lower(haystack);
  lower(needle);
  return contains(haystack, needle);
}

inline std::string base64url(const std::string& in) {
  static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += k_alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += k_alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

// An unsigned-but-well-formed JWT with these claims (the double does not check signatures).
inline std::string make_jwt(const json& claims) {
  return base64url(R"({"alg":"RS256","kid":"test"})") + "." + base64url(claims.dump()) + "." +
         base64url("not-a-real-signature");
}

using testing::LogCapture;

class VaultStoreTest : public ::testing::Test {
 protected:
  VaultStoreTest() : m_vault(std::make_unique<testing::VaultDouble>()), m_transport(make_transport({})) {
    remember_secret(m_vault->root_token());
    m_vault->control("POST", "policies",
                     {{"name", "keyd"},
                      {"rules",
                       {{{"path", "secret/data/*"}, {"capabilities", {"create", "read", "update"}}},
                        {{"path", "secret/metadata/*"}, {"capabilities", {"create", "read", "update"}}}}}});
  }

  static std::unique_ptr<ports::HttpTransport> make_transport(ports::TlsOptions tls) {
    auto made = make_curl_transport(std::move(tls));
    if (!made) throw std::runtime_error(made.error().message);
    return std::move(*made);
  }

  // Options for the current double with token auth as root, short timeouts.
  [[nodiscard]] VaultOptions options() const {
    VaultOptions o;
    o.address = m_vault->address();
    o.auth.method = config::VaultAuthMethod::token;
    o.auth.token = Secret::from_text(m_vault->root_token());
    o.connect_timeout = 2s;
    o.request_timeout = 10s;
    return o;
  }

  std::unique_ptr<ports::SecretStore> make_store(VaultOptions o) {
    auto made = make_vault_store(std::move(o), *m_transport, m_clock, m_random);
    if (!made) throw std::runtime_error("make_vault_store: " + made.error().message);
    return std::move(*made);
  }
  std::unique_ptr<ports::SecretStore> make_store() { return make_store(options()); }

  // A token with the "keyd" policy, remembered for leak checks.
  std::string make_token(const json& extra = json::object()) {
    json body{{"ttl", "1h"}, {"policies", {"keyd"}}};
    body.update(extra);
    auto token = m_vault->control("POST", "tokens", body)["token"].get<std::string>();
    remember_secret(token);
    return token;
  }

  // A file in the double's directory.
  std::string secret_file(const std::string& name, const std::string& content) {
    const auto file = m_vault->dir() / name;
    testing::write_file(file, content);
    return file.string();
  }

  void remember_secret(const std::string& value) { m_secrets.push_back(value); }

  // No token, credential or key text in a message (an error or log text).
  void expect_clean(const std::string& text) const {
    for (const auto& secret : m_secrets) EXPECT_FALSE(contains(text, secret)) << "leaked a credential: " << text;
    for (int seed = 1; seed <= 9; ++seed) {
      EXPECT_FALSE(contains(text, key_hex(seed))) << "leaked key text: " << text;
      EXPECT_FALSE(contains(text, key_hex(seed).substr(0, 16))) << "leaked key text: " << text;
    }
    EXPECT_FALSE(contains(text, "/key/swa")) << "leaked key text: " << text;
  }
  void expect_clean(const Error& error) const { expect_clean(error.message); }

  // Requests in the double's log with this method whose path equals `path` (or all when empty).
  [[nodiscard]] std::vector<json> logged(const std::string& method, const std::string& path = {}) const {
    std::vector<json> out;
    for (const auto& r : m_vault->requests()) {
      if ((method.empty() || r["method"] == method) && (path.empty() || r["path"] == path)) out.push_back(r);
    }
    return out;
  }
  [[nodiscard]] int count(const std::string& method, const std::string& path = {}) const {
    return static_cast<int>(logged(method, path).size());
  }

  // Write versions 1..n (seeds 1..n) with the right CAS.
  static void write_versions(ports::SecretStore& store, int n, const std::string& path = k_path) {
    for (int v = 1; v <= n; ++v) {
      const auto written = store.write(path, version_data(v), v - 1);
      ASSERT_TRUE(written) << written.error().message;
      ASSERT_EQ(*written, v);
    }
  }

  std::unique_ptr<testing::VaultDouble> m_vault;
  std::unique_ptr<ports::HttpTransport> m_transport;
  testing::FakeClock m_clock;
  testing::FixedRandom m_random;
  std::vector<std::string> m_secrets;
};

}  // namespace keyd::adapters::vault_test
