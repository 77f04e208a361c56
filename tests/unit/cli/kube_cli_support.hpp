// Helpers for end-to-end tests of the keyd binary against the kube-apiserver double: a temp
// working directory with keyd.yaml (file store + one kubernetes target), a namespace ipfs-system
// with a 3-replica StatefulSet ipfs whose pods are Ready, kubeconfigs for the double (token,
// tokenFile, client certificates, exec plugin), and reading back what the double holds.
#pragma once

#include "support/kube_double.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace keyd::testing {

inline constexpr const char* k_kube_ns = "ipfs-system";
inline constexpr const char* k_kube_secret = "ipfs-swarm-key";
inline constexpr const char* k_kube_sts = "ipfs";
inline constexpr const char* k_template_annotation = "keyd.io/swarm-key-fingerprint";

// The target lines used unless a test writes others (8-space indent, under "targets:").
inline constexpr const char* k_kube_target =
    "      - type: kubernetes\n"
    "        namespace: ipfs-system\n"
    "        secret: ipfs-swarm-key\n"
    "        restart: [{kind: StatefulSet, name: ipfs}]\n";

inline nlohmann::json ipfs_statefulset(int replicas = 3, const std::string& update_strategy = "RollingUpdate") {
  return {{"apiVersion", "apps/v1"},
          {"kind", "StatefulSet"},
          {"metadata", {{"name", k_kube_sts}, {"namespace", k_kube_ns}}},
          {"spec",
           {{"serviceName", "ipfs"},
            {"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "ipfs"}}}}},
            {"updateStrategy", {{"type", update_strategy}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "ipfs"}}}}},
              {"spec",
               {{"containers",
                 {{{"name", "ipfs"},
                   {"image", "ipfs/kubo:v0.29.0"},
                   {"volumeMounts", {{{"name", "swarm-key"}, {"mountPath", "/secrets"}}}}}}},
                {"volumes", {{{"name", "swarm-key"}, {"secret", {{"secretName", k_kube_secret}}}}}}}}}}}}};
}

// Standard base64 → bytes (padding honoured).
inline std::string base64_decode(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t size = static_cast<std::size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --size;
  out.resize(size);
  return out;
}

inline std::string base64_encode(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

class KubeCli : public ::testing::Test {
 protected:
  explicit KubeCli(KubeDoubleOptions options = {}) : kube(std::move(options)) {
    kube.control("POST", "controller", {{"seconds_per_pod", 0.05}});
    kube.create_object("apps", "statefulsets", ipfs_statefulset());
    wait_ready();
    write_config(k_kube_target);
    write_kubeconfig({{"token", kube.admin_token()}});
  }

  // keyd.yaml: file store, audit, one swarm whose targets are `target_lines`; `top_lines` go first.
  void write_config(const std::string& target_lines, const std::string& top_lines = "") {
    write_file(dir / "keyd.yaml", top_lines +
                                      "store: {backend: file, file: {dir: .keyd/store}}\n"
                                      "audit: {file: .keyd/audit.jsonl}\n"
                                      "swarms:\n"
                                      "  - name: ipfs-overlay\n"
                                      "    path: ipfs-overlay/swarm-key\n"
                                      "    targets:\n" +
                                      target_lines);
  }

  // A kubeconfig (YAML) for the double: cluster with the test CA, context "double" (namespace
  // default) using a user with the given fields (token, tokenFile, client-certificate, exec, ...).
  void write_kubeconfig(const nlohmann::json& user, const std::string& file = "kubeconfig") {
    write_file(dir / file, "apiVersion: v1\nkind: Config\ncurrent-context: double\n"
                           "clusters:\n- name: double\n  cluster:\n    server: " + kube.address() +
                               "\n    certificate-authority: " + kube.ca_file() +
                               "\nusers:\n- name: keyd\n  user: " + user.dump() +
                               "\ncontexts:\n- name: double\n  context: {cluster: double, user: keyd, namespace: default}\n");
  }

  // KUBECONFIG=<dir>/kubeconfig and HOME=<dir> (never the developer's ~/.kube/config), plus `extra`.
  [[nodiscard]] std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
    extra.emplace("KUBECONFIG", (dir / "kubeconfig").string());
    extra.emplace("HOME", dir.path().string());
    return extra;
  }

  // keyd with --config keyd.yaml appended.
  CommandResult keyd(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    args.insert(args.end(), {"--config", "keyd.yaml"});
    return run_keyd(args, dir.path(), environment);
  }
  CommandResult keyd(std::vector<std::string> args) { return keyd(std::move(args), env()); }
  CommandResult ok(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    auto r = keyd(std::move(args), environment);
    EXPECT_EQ(r.exit_code, 0) << "stdout: " << r.out << "\nstderr: " << r.err << "\ndouble: " << kube.log_text();
    return r;
  }
  CommandResult ok(std::vector<std::string> args) { return ok(std::move(args), env()); }
  nlohmann::json ok_json(std::vector<std::string> args, const std::map<std::string, std::string>& environment) {
    args.insert(args.end(), {"--output", "json"});
    const auto r = ok(std::move(args), environment);
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }
  nlohmann::json ok_json(std::vector<std::string> args) { return ok_json(std::move(args), env()); }

  [[nodiscard]] nlohmann::json secret() { return kube.object("", "secrets", k_kube_ns, k_kube_secret); }
  [[nodiscard]] nlohmann::json statefulset() { return kube.object("apps", "statefulsets", k_kube_ns, k_kube_sts); }
  // The key file text the Secret holds under `key`.
  [[nodiscard]] std::string secret_key_text(const std::string& key = "swarm.key") {
    const auto s = secret();
    if (s.is_null() || !s.contains("data") || !s["data"].contains(key)) return {};
    return base64_decode(s["data"][key].get<std::string>());
  }
  [[nodiscard]] std::string template_fingerprint() {
    return statefulset()
        .value("/spec/template/metadata/annotations"_json_pointer, nlohmann::json::object())
        .value(k_template_annotation, "");
  }
  // The current stored key, via keyd fetch.
  [[nodiscard]] std::string fetched_key(int version = 0) {
    std::vector<std::string> args{"fetch", "--force", "--out", "fetched.key"};
    if (version > 0) args.insert(args.end(), {"--version", std::to_string(version)});
    ok(args);
    return read_file(dir / "fetched.key");
  }

  // Wait until the StatefulSet's pods are all Ready on its current template.
  void wait_ready(std::chrono::seconds limit = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto sts = statefulset();
      const auto status = sts.value("status", nlohmann::json::object());
      const int replicas = sts["spec"].value("replicas", 1);
      if (status.value("readyReplicas", 0) == replicas && status.value("updatedReplicas", 0) == replicas &&
          status.value("currentRevision", "") == status.value("updateRevision", "x")) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "StatefulSet never became ready: " << statefulset().dump();
  }

  // Requests in the double's log with one of `methods` (e.g. {"PATCH", "PUT"}).
  [[nodiscard]] std::vector<nlohmann::json> requests_with(const std::vector<std::string>& methods) {
    std::vector<nlohmann::json> found;
    for (const auto& r : kube.requests()) {
      for (const auto& m : methods) {
        if (r.value("method", "") == m) found.push_back(r);
      }
    }
    return found;
  }

  KubeDouble kube;
  TempDir dir;
};

}  // namespace keyd::testing
