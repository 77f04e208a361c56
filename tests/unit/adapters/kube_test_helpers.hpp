// Helpers shared by the kubernetes target tests: a hand-built KubeConnection with a static token
// source (the connection loader is tested on its own), fresh swarm keys and deliveries, workload
// objects, a recording Progress, request-log queries and a log capture for leak checks.
#pragma once

#include "keyd/adapters/kube/kube_connection.hpp"
#include "keyd/adapters/kube/kube_target.hpp"
#include "keyd/adapters/os/system_clock.hpp"
#include "keyd/domain/swarm_key.hpp"

#include "adapter_test_helpers.hpp"
#include "support/kube_double.hpp"

#include <openssl/evp.h>

#include <thread>

namespace keyd::adapters::kube_test {

using nlohmann::json;
using namespace std::chrono_literals;

inline constexpr const char* k_ns = "ipfs-system";
inline constexpr const char* k_secret = "ipfs-swarm-key";

// Credentials that never change; counts how often they were asked for and refreshed.
class StaticCredentials final : public KubeCredentialSource {
 public:
  explicit StaticCredentials(std::string token) : m_token(std::move(token)) {}
  Result<KubeCredentials> get(bool refresh) override {
    ++gets;
    if (refresh) ++refreshes;
    KubeCredentials creds;
    creds.bearer_token = Secret::from_text(m_token);
    return creds;
  }
  int gets = 0;
  int refreshes = 0;

 private:
  std::string m_token;
};

inline KubeConnection connection_to(const testing::KubeDouble& kube, const std::string& token) {
  KubeConnection conn;
  conn.server = kube.address();
  conn.default_namespace = "default";
  conn.tls.ca_file = kube.ca_file();
  conn.credentials = std::make_shared<StaticCredentials>(token);
  conn.description = "test connection";
  return conn;
}

// A swarm key with its canonical text and fingerprint, as a store would deliver it.
struct TestKey {
  Secret text;
  std::string fingerprint;
  std::string hex;  // the 64 hex digits (to look for leaks)
  int version = 1;

  [[nodiscard]] ports::Delivery delivery() const {
    return ports::Delivery{"ipfs-overlay", "ipfs-overlay/swarm-key", version, fingerprint, text, false};
  }
  // As a rotation delivers the version it has just written (ports::Delivery::fresh).
  [[nodiscard]] ports::Delivery fresh_delivery() const {
    return ports::Delivery{"ipfs-overlay", "ipfs-overlay/swarm-key", version, fingerprint, text, true};
  }
};

inline TestKey make_key(int version) {
  auto key = domain::generate_swarm_key();
  if (!key) throw std::runtime_error(key.error().message);
  TestKey out{key->canonical_text(), key->fingerprint().hex(), {}, version};
  const auto text = out.text.reveal_text();
  out.hex = std::string(text.substr(text.size() - 65, 64));
  return out;
}

inline std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

inline std::string unbase64(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  auto size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '=' && size > 0; ++it) --size;
  out.resize(size);
  return out;
}

// Every textual form of a key that must never appear in a message or log line.
inline std::vector<std::string> leak_forms(const TestKey& key) {
  const std::string text(key.text.reveal_text());
  std::string raw;
  for (std::size_t i = 0; i < key.hex.size(); i += 2) {
    raw += static_cast<char>(std::stoi(key.hex.substr(i, 2), nullptr, 16));
  }
  return {key.hex, base64(text), base64(raw), raw, key.hex.substr(0, 24)};
}

inline void expect_no_leak(const std::string& text, const TestKey& key, const std::string& where) {
  for (const auto& form : leak_forms(key)) {
    EXPECT_EQ(text.find(form), std::string::npos) << where << " contains key material";
  }
}

inline json pod_template(const std::string& app) {
  return {{"metadata", {{"labels", {{"app", app}}}}},
          {"spec", {{"containers", json::array({{{"name", "ipfs"}, {"image", "ipfs/kubo:v0.32.1"}}})}}}};
}

inline json stateful_set(const std::string& name, int replicas, const std::string& strategy = "") {
  json sts = {{"apiVersion", "apps/v1"},
              {"kind", "StatefulSet"},
              {"metadata", {{"name", name}, {"namespace", k_ns}}},
              {"spec",
               {{"replicas", replicas},
                {"serviceName", name},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template", pod_template(name)}}}};
  if (!strategy.empty()) sts["spec"]["updateStrategy"] = {{"type", strategy}};
  return sts;
}

inline json deployment(const std::string& name, int replicas, bool paused) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}, {"namespace", k_ns}}},
          {"spec",
           {{"replicas", replicas},
            {"paused", paused},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template", pod_template(name)}}}};
}

class RecordingProgress final : public ports::Progress {
 public:
  void update(std::string_view line) override { lines.emplace_back(line); }
  void done() override { ++done_calls; }
  std::vector<std::string> lines;
  int done_calls = 0;
};

// All spdlog output while alive (debug and up).
struct LogCapture : testing::LogCapture {
  LogCapture() : testing::LogCapture(spdlog::level::debug) {}
};

using test_helpers::code_of;
using test_helpers::contains;

}  // namespace keyd::adapters::kube_test
