// Helpers for the kube connection tests: kubeconfig files written into a TempDir, base64, a log
// capture, and recognisable secrets that must never show up in errors or logs.
#pragma once

#include "keyd/adapters/kube/kube_connection.hpp"
#include "kube/kube_internal.hpp"

#include "support/log_capture.hpp"
#include "support/test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

namespace keyd::adapters::kube_test {

using namespace std::chrono_literals;

inline constexpr const char* k_token = "kube-tok3n-4d1f9e";
inline constexpr const char* k_other_token = "kube-tok3n-other-77aa";
inline constexpr const char* k_key_pem = "-----BEGIN PRIVATE KEY-----\nk3y-m4terial-0b5e\n-----END PRIVATE KEY-----\n";
inline constexpr const char* k_cert_pem = "-----BEGIN CERTIFICATE-----\nc3rt-4a\n-----END CERTIFICATE-----\n";
inline constexpr const char* k_ca_pem = "-----BEGIN CERTIFICATE-----\nc4-9c\n-----END CERTIFICATE-----\n";

inline std::string base64(std::string_view data) {
  constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8 |
                   static_cast<unsigned>(static_cast<unsigned char>(data[i + 2]));
    for (const int shift : {18, 12, 6, 0}) out += k_alphabet[(n >> shift) & 63];
  }
  if (const auto rest = data.size() - i; rest > 0) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(data[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(data[i + 1])) << 8;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += rest == 2 ? k_alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

using testing::LogCapture;

// Fails the test when a secret appears in `text`.
inline void expect_no_secrets(const std::string& text) {
  for (const char* secret : {k_token, k_other_token, "k3y-m4terial-0b5e", "exec-tok3n"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "secret " << secret << " in: " << text;
  }
}

// A kubeconfig with one cluster, one user and one context named "main" (current), built from
// YAML fragments for the cluster and user bodies (indented by the caller's 4 spaces).
inline std::string kubeconfig(const std::string& cluster_body, const std::string& user_body,
                              const std::string& context_extra = "") {
  return fmt::format(R"(apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c1
  cluster:
{}
users:
- name: u1
  user:
{}
contexts:
- name: main
  context:
    cluster: c1
    user: u1
{}
)",
                     cluster_body, user_body, context_extra);
}

inline const std::string k_plain_cluster = "    server: https://kube.example:6443/";

class KubeFixture : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& content) const {
    const auto path = m_dir / name;
    std::filesystem::create_directories(path.parent_path());
    testing::write_file(path, content);
    return path.string();
  }

  [[nodiscard]] Result<KubeConnection> load(const std::string& file, const std::string& context = "") const {
    return load_kube_connection({file, context}, m_env, m_clock);
  }

  // An error's message, with the checks every error gets: the expected code, the named file, and
  // no secret.
  static std::string error_of(const Result<KubeConnection>& result, ErrorCode code = ErrorCode::invalid_config) {
    EXPECT_FALSE(result);
    if (result) return {};
    EXPECT_EQ(result.error().code, code) << result.error().message;
    expect_no_secrets(result.error().message);
    return result.error().message;
  }

  testing::TempDir m_dir;
  testing::FakeClock m_clock;
  Environment m_env{{"PATH", "/usr/bin:/bin"}};
};

}  // namespace keyd::adapters::kube_test
